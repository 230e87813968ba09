package brokertest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// recorder is a testing.TB that records failures instead of failing, so a
// check of the suite can be run against a broker that must fail it.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// failures runs check with a recorder and returns what it reported.
func failures(t *testing.T, check func(testing.TB)) []string {
	r := &recorder{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { check(r) })
	wg.Wait()
	return r.errs
}

// idBroker is a broker whose notifications parse with the event ids next
// gives, one per call.
type idBroker struct {
	getpaid.Broker
	next func() string
}

func (b idBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return &getpaid.Observation{PaymentID: "pay_1", EventID: b.next(), Kind: getpaid.KindCaptured,
		Amount: getpaid.MustParseMoney("1.00", "PLN")}, nil
}

// TestCheckEventID: the duplicate-notification case fails a broker whose
// notification carries no event id, or another one each time it is read;
// the engine could not recognise its repeats (a refund, a delta, would
// count once per delivery), and a repeated "paid" alone, idempotent by its
// amount, does not show it.
func TestCheckEventID(t *testing.T) {
	t.Parallel()
	n := 0
	tests := []struct {
		name string
		next func() string
		want string // in the failure; "" for none
	}{
		{"stable", func() string { return "evt-1" }, ""},
		{"none", func() string { return "" }, "no EventID"},
		{"another each time", func() string { n++; return fmt.Sprintf("evt-%d", n) }, `EventID "evt-1", then "evt-2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := failures(t, func(tb testing.TB) {
				checkEventID(tb, idBroker{next: tc.next}, &getpaid.CallbackRequest{Body: []byte("{}")})
			})
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("failed a broker that is right: %q", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("failures %q, want one saying %q", got, tc.want)
			}
		})
	}
}
