package tracing

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/getpaid-go/getpaid"
)

// Store wraps s so that every call is a span ("store UpdatePayment", with
// the payment's id). The wrapper also has the optional capabilities
// StaleLister, PaymentViewer, PaymentTotaler, BacklogReporter, Readier,
// DeliveryDiscarder, DeliveryBackfiller and AppliedKeyLister, passing them on when s has them and answering
// getpaid.ErrNotSupported otherwise (the engine falls back on ErrNotSupported; the SQLite store has
// them all, PostgreSQL all but PaymentTotaler, memory all but PaymentViewer).
func (t *Tracer) Store(s getpaid.Store) getpaid.Store { return &store{s: s, t: t} }

type store struct {
	s getpaid.Store
	t *Tracer
}

var (
	_ getpaid.StaleLister        = (*store)(nil)
	_ getpaid.PaymentViewer      = (*store)(nil)
	_ getpaid.PaymentTotaler     = (*store)(nil)
	_ getpaid.BacklogReporter    = (*store)(nil)
	_ getpaid.Readier            = (*store)(nil)
	_ getpaid.DeliveryDiscarder  = (*store)(nil)
	_ getpaid.DeliveryBackfiller = (*store)(nil)
	_ getpaid.DurableWaiter      = (*store)(nil)
	_ getpaid.AppliedKeyLister   = (*store)(nil)
)

// span starts a store span with attrs.
func (st *store) span(ctx context.Context, op string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return st.t.tr.Start(ctx, "store "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

func pay(id string) attribute.KeyValue { return attribute.String("getpaid.payment_id", id) }

func traced[T any](st *store, ctx context.Context, op string, fn func(context.Context) (T, error), attrs ...attribute.KeyValue) (T, error) {
	ctx, span := st.span(ctx, op, attrs...)
	v, err := fn(ctx)
	if r := answer(err); r != "" {
		span.SetAttributes(attribute.String("getpaid.store.result", r))
		span.End()
		return v, err
	}
	end(span, err)
	return v, err
}

// answer names the store's errors that are answers the engine expects, not
// failures: an event applied already (brokers repeat their notifications)
// and a payment, operation or event not found. Their spans keep the status
// unset, so a tracing backend does not count every repeated callback as a
// failure.
func answer(err error) string {
	switch {
	case errors.Is(err, getpaid.ErrDuplicateEvent):
		return "duplicate_event"
	case errors.Is(err, getpaid.ErrNotFound):
		return "not_found"
	}
	return ""
}

// polled is traced for the background loops' checks for due work
// (DueOperations, ClaimDeliveries, StalePayments), asked every few seconds
// whether or not there is any: a span only inside a trace (a request's or a
// broker call's), so an idle server sends no trace per tick. What the work
// then does (broker calls, payment changes) has its own spans.
func polled[T any](st *store, ctx context.Context, op string, fn func(context.Context) (T, error), attrs ...attribute.KeyValue) (T, error) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return fn(ctx)
	}
	return traced(st, ctx, op, fn, attrs...)
}

func (st *store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	return traced(st, ctx, "CreatePayment", func(ctx context.Context) (*getpaid.UpdateResult, error) { return st.s.CreatePayment(ctx, p, opts) }, pay(p.ID))
}

func (st *store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	return traced(st, ctx, "Payment", func(ctx context.Context) (*getpaid.Payment, error) { return st.s.Payment(ctx, id) }, pay(id))
}

func (st *store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	return traced(st, ctx, "PaymentByExternalID", func(ctx context.Context) (*getpaid.Payment, error) {
		return st.s.PaymentByExternalID(ctx, backend, externalID)
	}, attribute.String("getpaid.backend", backend))
}

func (st *store) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	return traced(st, ctx, "Payments", func(ctx context.Context) (*getpaid.PaymentPage, error) { return st.s.Payments(ctx, f) })
}

func (st *store) History(ctx context.Context, id string) ([]getpaid.Transition, error) {
	return traced(st, ctx, "History", func(ctx context.Context) ([]getpaid.Transition, error) { return st.s.History(ctx, id) }, pay(id))
}

func (st *store) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	return traced(st, ctx, "UpdatePayment", func(ctx context.Context) (*getpaid.UpdateResult, error) { return st.s.UpdatePayment(ctx, id, m) },
		pay(id), attribute.String("getpaid.cause", m.Cause))
}

func (st *store) EventApplied(ctx context.Context, id, key string) (bool, error) {
	return traced(st, ctx, "EventApplied", func(ctx context.Context) (bool, error) { return st.s.EventApplied(ctx, id, key) }, pay(id))
}

func (st *store) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	return traced(st, ctx, "Operation", func(ctx context.Context) (*getpaid.Operation, error) { return st.s.Operation(ctx, id) })
}

func (st *store) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	return traced(st, ctx, "Operations", func(ctx context.Context) (*getpaid.OperationPage, error) { return st.s.Operations(ctx, f) })
}

func (st *store) DueOperations(ctx context.Context, r getpaid.DueRequest) ([]*getpaid.Operation, error) {
	return polled(st, ctx, "DueOperations", func(ctx context.Context) ([]*getpaid.Operation, error) { return st.s.DueOperations(ctx, r) })
}

func (st *store) Event(ctx context.Context, id string) (*getpaid.Event, error) {
	return traced(st, ctx, "Event", func(ctx context.Context) (*getpaid.Event, error) { return st.s.Event(ctx, id) })
}

func (st *store) Events(ctx context.Context, f getpaid.EventFilter) (*getpaid.EventPage, error) {
	return traced(st, ctx, "Events", func(ctx context.Context) (*getpaid.EventPage, error) { return st.s.Events(ctx, f) })
}

func (st *store) ClaimDeliveries(ctx context.Context, r getpaid.ClaimRequest) ([]getpaid.ClaimedDelivery, error) {
	return polled(st, ctx, "ClaimDeliveries", func(ctx context.Context) ([]getpaid.ClaimedDelivery, error) { return st.s.ClaimDeliveries(ctx, r) })
}

func (st *store) FinishDeliveries(ctx context.Context, results []getpaid.DeliveryResult) error {
	_, err := traced(st, ctx, "FinishDeliveries", func(ctx context.Context) (struct{}, error) { return struct{}{}, st.s.FinishDeliveries(ctx, results) })
	return err
}

func (st *store) Deliveries(ctx context.Context, f getpaid.DeliveryFilter) (*getpaid.DeliveryPage, error) {
	return traced(st, ctx, "Deliveries", func(ctx context.Context) (*getpaid.DeliveryPage, error) { return st.s.Deliveries(ctx, f) })
}

func (st *store) Attempts(ctx context.Context, id string) ([]getpaid.Attempt, error) {
	return traced(st, ctx, "Attempts", func(ctx context.Context) ([]getpaid.Attempt, error) { return st.s.Attempts(ctx, id) })
}

func (st *store) ReplayDeliveries(ctx context.Context, r getpaid.ReplayRequest) (int, error) {
	return traced(st, ctx, "ReplayDeliveries", func(ctx context.Context) (int, error) { return st.s.ReplayDeliveries(ctx, r) })
}

func (st *store) Close() error { return st.s.Close() }

// WaitDurable passes the call on when s is a getpaid.DurableWaiter, and
// answers nil otherwise (s's readers see only durable changes).
func (st *store) WaitDurable(ctx context.Context) error {
	if dw, ok := st.s.(getpaid.DurableWaiter); ok {
		return dw.WaitDurable(ctx)
	}
	return nil
}

// DiscardDeliveries answers getpaid.ErrNotSupported when s is no
// DeliveryDiscarder.
func (st *store) DiscardDeliveries(ctx context.Context, r getpaid.DiscardRequest) (int, error) {
	dd, ok := st.s.(getpaid.DeliveryDiscarder)
	if !ok {
		return 0, unsupported("DiscardDeliveries")
	}
	return traced(st, ctx, "DiscardDeliveries", func(ctx context.Context) (int, error) { return dd.DiscardDeliveries(ctx, r) })
}

// BackfillDeliveries answers getpaid.ErrNotSupported when s is no
// DeliveryBackfiller.
func (st *store) BackfillDeliveries(ctx context.Context, r getpaid.BackfillRequest) (int, error) {
	bf, ok := st.s.(getpaid.DeliveryBackfiller)
	if !ok {
		return 0, unsupported("BackfillDeliveries")
	}
	return traced(st, ctx, "BackfillDeliveries", func(ctx context.Context) (int, error) { return bf.BackfillDeliveries(ctx, r) })
}

func (st *store) StalePayments(ctx context.Context, r getpaid.StaleRequest) ([]*getpaid.Payment, error) {
	sl, ok := st.s.(getpaid.StaleLister)
	if !ok {
		return nil, unsupported("StalePayments")
	}
	return polled(st, ctx, "StalePayments", func(ctx context.Context) ([]*getpaid.Payment, error) { return sl.StalePayments(ctx, r) })
}

func (st *store) AppliedKeys(ctx context.Context, id, prefix string) ([]string, error) {
	l, ok := st.s.(getpaid.AppliedKeyLister)
	if !ok {
		return nil, unsupported("AppliedKeys")
	}
	return traced(st, ctx, "AppliedKeys", func(ctx context.Context) ([]string, error) { return l.AppliedKeys(ctx, id, prefix) }, pay(id))
}

// ViewPayment answers getpaid.ErrNotSupported when s is no PaymentViewer:
// the engine then makes the separate reads, each traced.
func (st *store) ViewPayment(ctx context.Context, r getpaid.ViewRequest) (*getpaid.PaymentView, error) {
	pv, ok := st.s.(getpaid.PaymentViewer)
	if !ok {
		return nil, unsupported("ViewPayment")
	}
	return traced(st, ctx, "ViewPayment", func(ctx context.Context) (*getpaid.PaymentView, error) { return pv.ViewPayment(ctx, r) }, pay(r.PaymentID))
}

func (st *store) PaymentTotals(ctx context.Context, f getpaid.PaymentFilter) ([]getpaid.PaymentTotal, error) {
	pt, ok := st.s.(getpaid.PaymentTotaler)
	if !ok {
		return nil, unsupported("PaymentTotals")
	}
	return traced(st, ctx, "PaymentTotals", func(ctx context.Context) ([]getpaid.PaymentTotal, error) { return pt.PaymentTotals(ctx, f) })
}

// Backlog is asked at every metrics scrape: no span.
func (st *store) Backlog(ctx context.Context) (getpaid.Backlog, error) {
	br, ok := st.s.(getpaid.BacklogReporter)
	if !ok {
		return getpaid.Backlog{}, unsupported("Backlog")
	}
	return br.Backlog(ctx)
}

// Ready is asked by every readiness probe: no span.
func (st *store) Ready(ctx context.Context) error {
	r, ok := st.s.(getpaid.Readier)
	if !ok {
		return nil
	}
	return r.Ready(ctx)
}

func unsupported(op string) error {
	return fmt.Errorf("%w: %s (%w)", errUnsupported, op, getpaid.ErrNotSupported)
}
