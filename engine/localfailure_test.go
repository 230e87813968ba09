package engine_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/webhook"
)

// A healthy endpoint's delivery whose attempts failed on getpaid's own
// machine (out of file descriptors when connecting: nothing was sent) had
// them counted against the endpoint's retry schedule: after two, the next
// try was the schedule's third wait away (30 minutes by default), and on
// the schedule's last try such a failure made the delivery dead. Such an
// attempt is recorded but not counted: it is tried again after the
// schedule's first wait (at least a second) and never makes it dead.
func TestLocalFailureIsNotTheEndpoints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		schedule []time.Duration
		local    int32 // dials failing with EMFILE before one works
	}{
		{"early retries kept", []time.Duration{50 * time.Millisecond, time.Hour, time.Hour}, 2},
		{"not dead on the last try", []time.Duration{50 * time.Millisecond}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
			t.Cleanup(srv.Close)
			fails := atomic.Int32{}
			fails.Store(tc.local)
			tr := webhook.NewTransport()
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if fails.Add(-1) >= 0 {
					return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", syscall.EMFILE)}
				}
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			ep, err := webhook.New(webhook.Config{URL: srv.URL + "/hook", Secrets: []string{webhook.NewSecret()},
				Events: []getpaid.EventType{getpaid.EventPaymentCreated}, Client: &http.Client{Transport: tr}})
			if err != nil {
				t.Fatal(err)
			}
			e := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: memory.New(), Consumers: []engine.Consumer{ep},
				RetrySchedule: tc.schedule})
			p := create(t, e)
			ctx := context.Background()
			var d *getpaid.Delivery
			within(t, 15*time.Second, "the delivery", func() bool {
				page, err := e.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID})
				if err != nil || len(page.Deliveries) != 1 {
					t.Fatalf("deliveries: %v, %v", page, err)
				}
				d = page.Deliveries[0]
				if d.State == getpaid.DeliveryDead {
					t.Fatalf("dead after %d attempts (%s): getpaid's own failures made it so", d.Attempts, d.LastError)
				}
				return d.State == getpaid.DeliveryDelivered
			})
			atts, err := e.Attempts(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Attempts != 1 || len(atts) != int(tc.local)+1 || got.Load() != 1 {
				t.Fatalf("delivered: %d attempts counted, %d recorded, %d requests; want 1 counted (the endpoint's), %d recorded, 1 request",
					d.Attempts, len(atts), got.Load(), tc.local+1)
			}
			for _, a := range atts[:tc.local] {
				if !strings.Contains(a.Error, "too many open files") {
					t.Errorf("local attempt's error %q; want it to say what failed", a.Error)
				}
			}
		})
	}
}
