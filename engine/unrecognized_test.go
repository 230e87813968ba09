package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A notification whose status getpaid does not know (Observation.Unrecognized)
// is acknowledged, changes nothing, and is logged at error level naming the
// payment and what the broker said, so an operator sees it, whether it
// names the payment by getpaid's id or by the broker's.
func TestUnrecognizedStatusLoggedWithPayment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		obs  func(p *getpaid.Payment) *getpaid.Observation
	}{
		{"by getpaid's id", func(p *getpaid.Payment) *getpaid.Observation {
			return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindNone, Unrecognized: true,
				BrokerStatus: "payment disputed", EventID: "M1:disputed"}
		}},
		{"by the broker's id", func(p *getpaid.Payment) *getpaid.Observation {
			return &getpaid.Observation{ExternalID: p.ExternalID, Kind: getpaid.KindNone, Unrecognized: true,
				BrokerStatus: "payment disputed", EventID: "M1:disputed"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fb := &fakeBroker{}
			e, logs := loggedFakeEngine(t, fb)
			p := paidPayment(t, e, fb)
			fb.obs = tc.obs(p)
			res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
			if err != nil || res.Outcome != getpaid.OutcomeNoChange {
				t.Fatalf("%+v, %v; want it acknowledged, nothing changed", res, err)
			}
			q, _ := e.Payment(ctx, p.ID)
			if q.Status != getpaid.StatusPaid || q.Captured != p.Amount.Minor || q.Version != p.Version {
				t.Fatalf("payment changed: %+v", q)
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `"level":"ERROR"`) && strings.Contains(l, "payment disputed") {
					line = l
				}
			}
			if !strings.Contains(line, `"payment":"`+p.ID+`"`) {
				t.Fatalf("no error log line naming %s and the status: %s", p.ID, logs.String())
			}
		})
	}
}
