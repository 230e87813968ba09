package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// viewStore gives a store the getpaid.PaymentViewer capability: it answers
// err when set, else the view made of the store's own reads, and counts
// its calls.
type viewStore struct {
	getpaid.Store
	err   error
	calls atomic.Int32
}

func (s *viewStore) ViewPayment(ctx context.Context, r getpaid.ViewRequest) (*getpaid.PaymentView, error) {
	s.calls.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	p, err := s.Payment(ctx, r.PaymentID)
	if err != nil {
		return nil, err
	}
	h, err := s.History(ctx, r.PaymentID)
	if err != nil {
		return nil, err
	}
	page, err := s.Operations(ctx, getpaid.OperationFilter{PaymentID: r.PaymentID, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil, err
	}
	return &getpaid.PaymentView{Payment: p, History: h, Operations: page.Operations}, nil
}

// historyDown is a store whose History fails as a database away would.
type historyDown struct{ getpaid.Store }

func (historyDown) History(context.Context, string) ([]getpaid.Transition, error) {
	return nil, getpaid.ErrUnavailable
}

// separately is what the engine's separate reads say of payment id.
func separately(t *testing.T, e *engine.Engine, id string) *getpaid.PaymentView {
	t.Helper()
	ctx := context.Background()
	p, err := e.Payment(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.Operations(ctx, getpaid.OperationFilter{PaymentID: id})
	if err != nil {
		t.Fatal(err)
	}
	return &getpaid.PaymentView{Payment: p, History: h, Operations: page.Operations}
}

// ViewPayment answers the same whether the store reads a view at once, has
// no such capability, or says at run time that it has not (a wrapper).
func TestViewPayment(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		viewer    *viewStore // nil: a store without the capability
		wantCalls int32
	}{
		{"store without PaymentViewer: separate reads", nil, 0},
		{"store with PaymentViewer: one call", &viewStore{}, 3},
		{"PaymentViewer answering ErrNotSupported: separate reads", &viewStore{err: getpaid.ErrNotSupported}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var store getpaid.Store = memory.New()
			if tt.viewer != nil {
				tt.viewer.Store = store
				store = tt.viewer
			}
			fb := &fakeBroker{}
			e := newEngine(t, fb, store)
			ctx := context.Background()

			fresh := create(t, e)
			v, err := e.ViewPayment(ctx, fresh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.Payment.ID != fresh.ID || v.History == nil || len(v.History) != 1 || v.Operations == nil || len(v.Operations) != 0 {
				t.Errorf("view of a prepared payment: %+v", v)
			}

			p := paidPayment(t, e, fb)
			part := getpaid.Money{Minor: 100, Currency: "PLN"}
			var ops []string
			for range 2 {
				res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &part})
				if err != nil {
					t.Fatal(err)
				}
				ops = append(ops, res.Operation.ID)
			}
			v, err = e.ViewPayment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(separately(t, e, p.ID), v); diff != "" {
				t.Errorf("view (-separate reads +view):\n%s", diff)
			}
			if len(v.Operations) != 2 || v.Operations[0].ID != ops[1] || v.Operations[1].ID != ops[0] {
				t.Errorf("operations %+v, want the two refunds newest first", v.Operations)
			}

			if _, err := e.ViewPayment(ctx, "pay_missing"); !errors.Is(err, getpaid.ErrNotFound) {
				t.Errorf("view of a missing payment: %v, want ErrNotFound", err)
			}
			if tt.viewer != nil && tt.viewer.calls.Load() != tt.wantCalls {
				t.Errorf("ViewPayment called %d times, want %d", tt.viewer.calls.Load(), tt.wantCalls)
			}
		})
	}
}

// A failing view is an error; in the separate reads, a failure after the
// payment was read returns the payment with the error (the HTTP layer
// names it in the error body).
func TestViewPaymentErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		wrap        func(getpaid.Store) getpaid.Store
		wantPayment bool
	}{
		{"view fails", func(s getpaid.Store) getpaid.Store { return &viewStore{Store: s, err: getpaid.ErrUnavailable} }, false},
		{"history fails after the payment was read", func(s getpaid.Store) getpaid.Store { return historyDown{s} }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, &fakeBroker{}, tt.wrap(memory.New()))
			p := create(t, e)
			v, err := e.ViewPayment(context.Background(), p.ID)
			if !errors.Is(err, getpaid.ErrUnavailable) {
				t.Fatalf("ViewPayment: %v, want ErrUnavailable", err)
			}
			if got := v != nil && v.Payment != nil && v.Payment.ID == p.ID; got != tt.wantPayment {
				t.Errorf("view returned with the error: %+v, want the payment: %v", v, tt.wantPayment)
			}
		})
	}
}
