package main

import (
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

func payuKind() backendKind {
	return backendKind{
		title:      "PayU",
		currencies: payu.DefaultCurrencies(),
		settings:   reflect.TypeFor[payu.Config](),
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg payu.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return payu.New(cfg)
		},
	}
}

// newPayuSimulator runs the PayU simulator with PayU's public sandbox POS
// credentials, signing notifications with MD5 as PayU does, and finishing
// refunds o.settleAfter after accepting them.
func newPayuSimulator(o simOptions) (*simulator, map[string]any, error) {
	sim := payutest.New(payutest.Config{AutoSettleRefunds: o.settleAfter, RetryUnit: o.retryUnit})
	c := sim.Config()
	return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, close: sim.Close, pay: sim.Pay}, map[string]any{
		"pos_id": c.PosID, "second_key": c.SecondKey, "client_id": c.ClientID, "client_secret": c.ClientSecret,
	}, nil
}
