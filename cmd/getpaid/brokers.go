package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

func przelewy24Kind() backendKind {
	return backendKind{
		title:      "Przelewy24",
		currencies: przelewy24.DefaultCurrencies,
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg przelewy24.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return przelewy24.New(cfg)
		},
	}
}

// placeholderSettings are stand-in settings of a kind for `getpaid config
// BACKEND` without a config file: enough to build the backend and print its
// panel URLs.
func placeholderSettings(kind string) yaml.Node {
	src := map[string]string{
		"dummy":      "secret: placeholder",
		"dotpay":     "shop_id: \"123456\"\npin: placeholder",
		"payu":       "pos_id: \"<your pos_id>\"\nsecond_key: placeholder\nclient_id: \"<your client_id>\"\nclient_secret: placeholder",
		"przelewy24": "merchant_id: 11111\ncrc: placeholder\napi_key: placeholder",
		"tpay":       "client_id: \"<your client_id>\"\nclient_secret: placeholder\nmerchant_id: 1010\nsecurity_code: placeholder",
		"transferuj": "merchant_id: 1010\nsecurity_code: placeholder",
	}[kind]
	var n yaml.Node
	_ = yaml.Unmarshal([]byte(src), &n)
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return *n.Content[0]
	}
	return n
}

// simulator is a broker simulator reachable over HTTP.
type simulator struct {
	handler http.Handler
	setBase func(string)
	close   func() // stops its background work (notification retries); may be nil
	pay     func(ctx context.Context, rd *getpaid.Redirect, outcome string) error
	// urlKeys are the backend settings to point at the simulator's URL;
	// nil means api_url.
	urlKeys []string
}

// pointAt sets the backend settings that name the simulator to url.
func (s *simulator) pointAt(settings map[string]any, url string) {
	keys := s.urlKeys
	if keys == nil {
		keys = []string{"api_url"}
	}
	for _, k := range keys {
		settings[k] = url
	}
}

// simOptions tune a simulator run standalone (getpaid simulate) or in the demo.
type simOptions struct {
	// settleAfter: every refund the simulator accepts finishes (and is
	// notified) this long after, so nothing stays pending for ever.
	settleAfter time.Duration
	// retryUnit scales Przelewy24's notification schedule (3, 5, 15, ...
	// minutes in production).
	retryUnit time.Duration
}

func defaultSimOptions() simOptions {
	return simOptions{settleAfter: 2 * time.Second, retryUnit: time.Second}
}

// newSimulator builds the simulator of a broker with demo credentials.
func newSimulator(name string, o simOptions) (*simulator, map[string]any, error) {
	switch name {
	case "przelewy24":
		sim := p24test.New(p24test.Config{MerchantID: 11111, PosID: 11111, CRC: "demo-crc-key", APIKey: "demo-api-key",
			RetryUnit: o.retryUnit, RefundDelay: o.settleAfter})
		return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, close: sim.Close, pay: sim.Pay},
			map[string]any{"merchant_id": 11111, "crc": "demo-crc-key", "api_key": "demo-api-key"}, nil
	case "payu":
		return newPayuSimulator(o)
	case "dotpay":
		return newDotpaySimulator()
	case "tpay":
		return newTpaySimulator()
	case "transferuj":
		return newTransferujSimulator()
	}
	return nil, nil, fmt.Errorf("no simulator for %q (have: %s)", name, strings.Join(simulatorNames(), ", "))
}

// simulatorNames lists the brokers with a simulator, in the demo's order.
func simulatorNames() []string { return []string{"payu", "przelewy24", "dotpay", "tpay", "transferuj"} }

// startSimulator serves a simulator on a loopback port of its own and
// returns the backend settings pointing at it.
func startSimulator(name string) (url string, settings map[string]any, stop func(), err error) {
	sim, settings, err := newSimulator(name, defaultSimOptions())
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	url = "http://" + ln.Addr().String()
	sim.setBase(url)
	sim.pointAt(settings, url)
	hs := &http.Server{Handler: sim.handler, ReadHeaderTimeout: 10 * time.Second}
	withHeaderLimit(hs)
	go func() { _ = hs.Serve(ln) }()
	return url, settings, func() {
		_ = hs.Close()
		if sim.close != nil {
			sim.close()
		}
	}, nil
}

// demoSimulators starts the simulator of every real broker and returns
// backends pointed at them, for `getpaid demo`.
func demoSimulators(ctx context.Context) ([]getpaid.Backend, func(), error) {
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	var out []getpaid.Backend
	for _, name := range simulatorNames() {
		_, settings, stop, err := startSimulator(name)
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		stops = append(stops, stop)
		var node yaml.Node
		if err := node.Encode(settings); err != nil {
			stopAll()
			return nil, nil, err
		}
		k := backendKinds()[name]
		b, err := k.build(name, node)
		if err != nil {
			stopAll()
			return nil, nil, fmt.Errorf("demo: %s: %w", name, err)
		}
		out = append(out, getpaid.Backend{Name: name, Kind: name, Title: k.title + " (simulator)", Broker: b})
	}
	return out, stopAll, nil
}
