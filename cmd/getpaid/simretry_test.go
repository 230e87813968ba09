package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The PayU simulator keeps sending a notification getpaid does not
// acknowledge on PayU's documented schedule (20 attempts, the last 72 hours
// after the first), --retry-unit standing for its minute: a getpaid away
// for a restart still gets it. It gave up after 8 attempts within about 7 s.
func TestPayUSimulatorRetriesOnPayUSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, b := simulatedBackend(t, "payu", simOptions{settleAfter: time.Hour, retryUnit: 2 * time.Millisecond})
	// getpaid is away for the first 12 attempts (PENDING comes first, and
	// is acknowledged; the COMPLETED is refused until then).
	const away = 12
	var refused atomic.Int32
	completed := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o, err := b.ParseCallback(r.Context(), &getpaid.CallbackRequest{Method: r.Method, Header: r.Header, Body: body})
		if err != nil || o.Kind != getpaid.KindCaptured {
			return
		}
		if refused.Load() < away {
			refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		select {
		case <-completed:
		default:
			close(completed)
		}
	}))
	t.Cleanup(recv.Close)
	if err := b.(getpaid.Provisioner).Provision(ctx, getpaid.NewEnv("payu", recv.URL, nil)); err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "simulated"}
	prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.pay(ctx, prep.Redirect, "paid"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-completed:
	case <-time.After(15 * time.Second):
		t.Fatalf("the COMPLETED notification stopped after %d refused attempts", refused.Load())
	}
}

// The Tpay, Transferuj and Dotpay simulators of getpaid simulate (and the
// demo) keep sending a notification getpaid does not acknowledge, as the
// README says ("retried until getpaid answers"), with --retry-unit
// standing for their minute: a getpaid away for a restart still gets it.
// They gave up after 8 attempts, within about 7 s (Tpay, Transferuj: the
// test defaults, 50 ms doubling to 2 s) or 95 s (Dotpay).
func TestUnscheduledSimulatorsRetryUntilAnswered(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, ack string }{
		{"tpay", "TRUE"},
		{"transferuj", "TRUE"},
		{"dotpay", "OK"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim, b := simulatedBackend(t, tt.name, simOptions{settleAfter: time.Hour, retryUnit: time.Millisecond})
			// getpaid is away for the first 12 attempts.
			const away = 12
			var refused atomic.Int32
			acked := make(chan struct{})
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if refused.Load() < away {
					refused.Add(1)
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				_, _ = io.WriteString(w, tt.ack)
				select {
				case <-acked:
				default:
					close(acked)
				}
			}))
			t.Cleanup(recv.Close)
			if err := b.(getpaid.Provisioner).Provision(ctx, getpaid.NewEnv(tt.name, recv.URL, nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Description: "simulated", Buyer: getpaid.Buyer{Email: "buyer@example.com"}}
			prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.pay(ctx, prep.Redirect, "paid"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-acked:
			case <-time.After(15 * time.Second):
				t.Fatalf("the notification stopped after %d refused attempts", refused.Load())
			}
		})
	}
}
