package main

import (
	"reflect"

	"context"
	"fmt"
	"math/rand/v2"
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
		currencies: przelewy24.DefaultCurrencies(),
		settings:   reflect.TypeFor[przelewy24.Config](),
		build: func(name string, s yaml.Node) (getpaid.Broker, error) {
			var cfg przelewy24.Config
			if err := decodeSettings(name, s, &cfg); err != nil {
				return nil, err
			}
			return przelewy24.New(cfg)
		},
	}
}

// placeholderIDs turn the stand-in numbers of placeholderSettings (ids
// that must be numbers) back into placeholders when they are printed.
var placeholderIDs = strings.NewReplacer("987654321", "<your merchant_id>", "987654322", "<your shop_id>")

// placeholderSettings are stand-in settings of a kind for `getpaid config
// BACKEND` without a config file: enough to build the backend and print its
// panel URLs.
func placeholderSettings(kind string) yaml.Node {
	src := map[string]string{
		"dummy":      "secret: placeholder",
		"dotpay":     "shop_id: \"987654322\"\npin: placeholder",
		"payu":       "pos_id: \"<your pos_id>\"\nsecond_key: placeholder\nclient_id: \"<your client_id>\"\nclient_secret: placeholder",
		"przelewy24": "merchant_id: 987654321\ncrc: placeholder\napi_key: placeholder",
		"tpay":       "client_id: \"<your client_id>\"\nclient_secret: placeholder\nmerchant_id: 987654321\nsecurity_code: placeholder",
		"transferuj": "merchant_id: 987654321\nsecurity_code: placeholder",
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
	// rootTaken: the simulator serves its root itself (Transferuj's form
	// is posted there), so it gets no index page.
	rootTaken bool
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
	// settleAfter: every operation the simulator accepts and does not end
	// at once (a refund; Dotpay's payment by transfer) ends, and is
	// notified, this long after, so nothing stays pending for ever. Tpay's
	// simulator ends refunds at once, as Tpay answers them.
	settleAfter time.Duration
	// retryUnit scales PayU's and Przelewy24's notification schedules (1,
	// 2, 5, ... and 3, 5, 15, ... minutes in production), and stands for
	// the minute of the retries of Tpay, Transferuj and Dotpay, which
	// publish no schedule (see unscheduledAttempts).
	retryUnit time.Duration
}

// The simulators of brokers that publish no retry schedule (Tpay,
// Transferuj, Dotpay) send a notification that is not acknowledged
// again after 1, 2, 4, ... retry units, at most unscheduledMaxPause units
// apart (Dotpay's simulator: 32), unscheduledAttempts times in all: about
// a day (Dotpay: 14 hours) when the unit is a minute, 25 (14) minutes at
// the default 1 s, so a getpaid away for a restart still gets them.
const (
	unscheduledAttempts = 30
	unscheduledMaxPause = 60
)

func defaultSimOptions() simOptions {
	return simOptions{settleAfter: 2 * time.Second, retryUnit: time.Second}
}

// newSimulator builds the simulator of a broker with demo credentials.
func newSimulator(name string, o simOptions) (*simulator, map[string]any, error) {
	switch name {
	case "przelewy24":
		// Each run numbers its transactions from a random start: the
		// merchant's database (and the demo's) outlives the simulator, and
		// an orderId of an earlier run would name another payment.
		sim := p24test.New(p24test.Config{MerchantID: 11111, PosID: 11111, CRC: "demo-crc-key", APIKey: "demo-api-key",
			RetryUnit: o.retryUnit, RefundDelay: o.settleAfter, FirstOrderID: 300000000 + rand.Int64N(1<<40)})
		return &simulator{handler: sim.Handler(), setBase: sim.SetBaseURL, close: sim.Close, pay: sim.Pay},
			map[string]any{"merchant_id": 11111, "crc": "demo-crc-key", "api_key": "demo-api-key"}, nil
	case "payu":
		return newPayuSimulator(o)
	case "dotpay":
		return newDotpaySimulator(o)
	case "tpay":
		return newTpaySimulator(o)
	case "transferuj":
		return newTransferujSimulator(o)
	}
	return nil, nil, fmt.Errorf("no simulator for %q (have: %s)", name, strings.Join(simulatorNames(), ", "))
}

// simulatorNames lists the brokers with a simulator, in the demo's order.
func simulatorNames() []string { return []string{"payu", "przelewy24", "dotpay", "tpay", "transferuj"} }
