package main

import (
	"reflect"

	"math/rand/v2"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
)

func dotpayKind() backendKind {
	return backendKind{
		title:      "Dotpay",
		currencies: dotpay.DefaultCurrencies(),
		settings:   reflect.TypeFor[dotpay.Config](),
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg dotpay.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return dotpay.New(cfg)
		},
	}
}

// newDotpaySimulator runs the Dotpay simulator with a demo shop. The
// backend's settings name the test environment (sandbox), whose URLC
// allowlist is off by default: the simulator sends from this machine.
// Refunds end, and payments by transfer are booked, o.settleAfter after
// they are accepted.
func newDotpaySimulator(o simOptions) (*simulator, map[string]any, error) {
	sim := dotpaytest.New(dotpaytest.Config{ShopID: "700001", PIN: "DemoPin0123456789", APIUsername: "demo-seller",
		APIPassword: "demo-seller-password", RetryDelay: o.retryUnit, MaxAttempts: unscheduledAttempts, RefundDelay: o.settleAfter, SettleAfter: o.settleAfter,
		// Each run numbers its operations elsewhere: see dotpaytest.Config.FirstNumber.
		FirstNumber: 1 + rand.IntN(dotpaytest.MaxFirstNumber/2)})
	c := sim.Config()
	return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, close: sim.Close, pay: sim.Pay}, map[string]any{
		"shop_id": c.ShopID, "pin": c.PIN, "sandbox": true, "api_username": c.APIUsername, "api_password": c.APIPassword,
	}, nil
}
