package main

import (
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/broker/transferuj/transferujtest"
)

func tpayKind() backendKind {
	return backendKind{
		title:      "Tpay",
		currencies: []string{"PLN"},
		settings:   reflect.TypeFor[tpay.Config](),
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg tpay.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return tpay.New(cfg)
		},
	}
}

func transferujKind() backendKind {
	return backendKind{
		title:      "Tpay (Transferuj.pl form)",
		currencies: []string{"PLN"},
		settings:   reflect.TypeFor[transferuj.Config](),
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg transferuj.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return transferuj.New(cfg)
		},
		untimed: true,
	}
}

// newTpaySimulator runs the Tpay OpenAPI simulator with demo credentials and
// certificates of its own: the backend trusts the simulator's URL as its
// jws_prefix. Tpay publishes no retry schedule: a notification not
// acknowledged TRUE is retried as unscheduledAttempts says.
func newTpaySimulator(o simOptions) (*simulator, map[string]any, error) {
	pki, err := tpaytest.NewPKI()
	if err != nil {
		return nil, nil, err
	}
	sim := tpaytest.New(tpaytest.Config{PKI: pki, NotifyBackoff: o.retryUnit, NotifyMaxBackoff: unscheduledMaxPause * o.retryUnit,
		NotifyAttempts: unscheduledAttempts})
	c := sim.Config()
	return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, urlKeys: []string{"api_url", "jws_prefix"}, close: sim.Close, pay: sim.Pay},
		map[string]any{"client_id": c.ClientID, "client_secret": c.ClientSecret, "merchant_id": c.MerchantID, "security_code": c.SecurityCode}, nil
}

// newTransferujSimulator runs the legacy payment form simulator, accepting
// both request md5sum variants, with certificates of its own: the backend
// trusts the simulator's URL as its jws_prefix, and requires the JWS the
// simulator signs every notification with, as Tpay does. Notifications are
// retried as the Tpay simulator's.
func newTransferujSimulator(o simOptions) (*simulator, map[string]any, error) {
	pki, err := tpaytest.NewPKI()
	if err != nil {
		return nil, nil, err
	}
	sim := transferujtest.New(transferujtest.Config{PKI: pki, NotifyBackoff: o.retryUnit,
		NotifyMaxBackoff: unscheduledMaxPause * o.retryUnit, NotifyAttempts: unscheduledAttempts})
	c := sim.Config()
	return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, urlKeys: []string{"api_url", "jws_prefix"}, close: sim.Close, pay: sim.Pay, rootTaken: true},
		map[string]any{"merchant_id": c.MerchantID, "security_code": c.SecurityCode, "require_jws": true}, nil
}
