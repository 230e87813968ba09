package dotpay_test

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
	"github.com/getpaid-go/getpaid/brokertest"
)

// harness returns a conformance harness: a backend against its own
// simulator, configured by tweak.
func harness(tweak func(*dotpay.Config)) func(t *testing.T) *brokertest.Harness {
	return func(t *testing.T) *brokertest.Harness {
		sim := dotpaytest.Start(dotpaytest.Config{RetryDelay: 5 * time.Millisecond, HangTimeout: 3 * time.Second})
		t.Cleanup(sim.Close)
		c := sim.Config()
		cfg := dotpay.Config{ShopID: c.ShopID, PIN: c.PIN, APIURL: sim.URL(),
			APIUsername: c.APIUsername, APIPassword: c.APIPassword, Timeout: 700 * time.Millisecond}
		tweak(&cfg)
		b, err := dotpay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &brokertest.Harness{
			Name: "dotpay", Broker: b, Sim: sim, Amount: getpaid.MustParseMoney("123.45", "PLN"),
			PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, dotpay.StatusCompleted, amount)
			},
			FailedNotification: func(p *getpaid.Payment) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, dotpay.StatusRejected, p.Amount)
			},
			DeclinedStatus:  getpaid.StatusFailed, // Dotpay sends a rejected URLC
			PreparesOffline: true,                 // the buyer carries a signed form; nothing is registered
			AckBody:         []byte("OK"),         // Dotpay sends a URLC again unless answered OK exactly
			// A refund made in Dotpay's panel: its URLC is sent, and returned.
			PanelRefund: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Refund(p.ID, amount)
			},
		}
	}
}

// The suite runs with both redirects and both chk variants, against the
// production paths (GET link, api_version next) and the test
// environment's (POST form, api_version dev).
func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("GET next", func(t *testing.T) {
		t.Parallel()
		off := false
		brokertest.Run(t, harness(func(c *dotpay.Config) { c.IPAllowlist = &off }))
	})
	t.Run("POST dev sandbox", func(t *testing.T) {
		t.Parallel()
		brokertest.Run(t, harness(func(c *dotpay.Config) { c.Method, c.APIVersion, c.Sandbox = "POST", "dev", true }))
	})
}
