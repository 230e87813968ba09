package httpapi_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// bare is a backend that only takes payments: no status query, holds,
// cancels or refunds (as transferuj without API keys).
type bare struct {
	getpaid.Broker
	getpaid.Provisioner
}

// An action the payment's backend cannot do says which backend, which
// action, and what to do instead. Before, every one answered "operation not
// supported by backend", naming neither.
func TestUnsupportedActionSaysWhatToDo(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "bare", Broker: bare{Broker: d, Provisioner: d}}}})
	p := e.create("o-bare", "10.00", "PLN", "bare")
	for _, tt := range []struct{ action, want string }{
		{"poll", `backend "bare" cannot poll: it has no status query; getpaid learns of the payment from the broker's notifications`},
		{"capture", `backend "bare" cannot capture: it takes no holds`},
		{"release", `backend "bare" cannot release: it takes no holds`},
		{"cancel", `backend "bare" cannot cancel: a payment not paid expires`},
		{"refund", `backend "bare" cannot refund: refund in the broker's panel`},
	} {
		t.Run(tt.action, func(t *testing.T) {
			code, a, _ := e.action(p.ID, tt.action, "", keyed("k-"+tt.action))
			if code != 422 || a.Error.Code != "not_supported" || !strings.Contains(a.Error.Message, tt.want) {
				t.Fatalf("%s: %d %+v; want 422 not_supported saying %q", tt.action, code, a.Error, tt.want)
			}
		})
	}
}
