package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// nilAnswerBroker is a backend of the shop's own whose lookups answer neither
// an observation nor an error: a mistake for "nothing new", which is an
// observation of getpaid.KindNone.
type nilAnswerBroker struct{ *dummy.Broker }

func (nilAnswerBroker) FetchStatus(context.Context, *getpaid.StatusRequest) (*getpaid.Observation, error) {
	return nil, nil
}

func (nilAnswerBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, nil
}

// nilLookupBroker is the dummy whose refund lookups answer neither an
// observation nor an error.
type nilLookupBroker struct{ *dummy.Broker }

func (nilLookupBroker) FetchOperation(context.Context, *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, nil
}

// A backend answering (nil, nil) where an observation is due is a clear
// error naming the backend and the method, and changes nothing: before, the
// engine read the nil as a fact and panicked, in a poll, a callback, and in
// Run's polling and reconciling, where the panic ended the shop's process.
// A refund whose lookup answers nothing stays in doubt.
func TestBrokerAnsweringNothingIsAnError(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{0}}},
		func(d *dummy.Broker) getpaid.Broker { return nilAnswerBroker{d} })
	ctx := context.Background()
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-silent", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, method string
		do           func() error
	}{
		{"poll", "FetchStatus", func() error { _, err := e.eng.Poll(ctx, p.ID); return err }},
		{"callback", "ParseCallback", func() error {
			_, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Header: http.Header{}, Body: []byte("{}")})
			return err
		}},
		{"stale poll", "", func() error { _, err := e.eng.PollStale(ctx, 0, time.Hour, 10); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := noPanic(tt.do)
			if tt.method == "" {
				if err != nil {
					t.Fatal(err) // logged per payment; the others are still polled
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `backend "dummy": `+tt.method+" answered neither an observation nor an error") {
				t.Fatalf("%v, want an error naming the backend and %s", err, tt.method)
			}
		})
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPrepared {
		t.Fatalf("status %s, want prepared: nothing was observed", q.Status)
	}
	t.Run("refund lookup", func(t *testing.T) {
		e := newDummyEnv(t, dummy.Config{}, engine.Config{Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{0}}},
			func(d *dummy.Broker) getpaid.Broker { return nilLookupBroker{d} })
		paid := e.pay("o-silent-refund", "10.00", "paid", getpaid.StatusPaid)
		op := e.refundLost(paid, dummy.FaultTimeoutBefore, nil)
		if err := noPanic(func() error { _, err := e.eng.Reconcile(ctx, 10); return err }); err != nil {
			t.Fatal(err)
		}
		got, err := e.eng.Operation(ctx, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != getpaid.OpUnknown || !strings.Contains(got.LastCheck, "FetchOperation answered neither") {
			t.Fatalf("refund %s, last check %q: want still in doubt, saying the lookup answered nothing", got.State, got.LastCheck)
		}
	})
}

// noPanic runs do, turning a panic into an error.
func noPanic(do func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Join(err, fmt.Errorf("panic: %v", r))
		}
	}()
	return do()
}
