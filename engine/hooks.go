package engine

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/getpaid-go/getpaid"
)

// Hooks let metrics and tracing watch the engine without the engine knowing
// them. Every field is optional; hooks must be quick and safe for
// concurrent use. A hook that panics (BrokerCall, its done, Changed,
// SecondTransaction) is recovered where the engine calls it: the panic is
// logged at ERROR with the hook's name, the line it came from and the
// stack, and the engine carries on as if the hook had returned (a
// BrokerCall that panics leaves the call its own context and no done): the
// payment's change stays committed, the broker call made, polling and
// reconciling go on. A hook of a set joined by JoinHooks
// after one that panicked is not called that time.
type Hooks struct {
	// BrokerCall is called before each call to a broker with the backend's
	// name and the operation ("prepare", "parse_callback",
	// "confirm_callback", "fetch_status", "fetch_operation", "capture",
	// "release", "cancel", "refund", and "refund_event_ids": the refunds a
	// getpaid.RefundCounter lists for a refund notification). The call runs with the context it
	// returns (a tracing span's), and done is called with the call's error
	// when it returns. A nil context keeps the call's own; a nil done is
	// not called.
	BrokerCall func(ctx context.Context, backend, op string) (_ context.Context, done func(error))
	// Changed is called after the store committed a change the engine
	// asked for: a new payment (created is true) or a change to one. It
	// gets what the store persisted (the payment after the change, the
	// history row when its status moved).
	Changed func(ctx context.Context, res *getpaid.UpdateResult, created bool)
	// SecondTransaction is called once for each broker transaction
	// recorded as a second transaction of a payment (a buyer who paid
	// twice: money at the broker that no payment counts, listed by
	// SecondTransactions), with the backend's name, the payment's id and
	// the broker's id of that transaction, after the record is committed.
	// Whatever showed it is the same: a notification, a poll, or the
	// capture of another transaction clearing money this one held (an
	// advance), that notification itself answered applied. A fact showing
	// it again (a notification repeated, a poll after it), in this process
	// or another on the same database, does not call it.
	SecondTransaction func(ctx context.Context, backend, payment, transaction string)
}

// then composes two hook sets: both are called, h first.
func (h Hooks) then(o Hooks) Hooks {
	out := h
	if o.BrokerCall != nil {
		if h.BrokerCall == nil {
			out.BrokerCall = o.BrokerCall
		} else {
			a, b := h.BrokerCall, o.BrokerCall
			out.BrokerCall = func(ctx context.Context, backend, op string) (context.Context, func(error)) {
				ctx, da := hook(a, ctx, backend, op)
				ctx, db := hook(b, ctx, backend, op)
				return ctx, func(err error) { db(err); da(err) }
			}
		}
	}
	if o.Changed != nil {
		if h.Changed == nil {
			out.Changed = o.Changed
		} else {
			a, b := h.Changed, o.Changed
			out.Changed = func(ctx context.Context, res *getpaid.UpdateResult, created bool) {
				a(ctx, res, created)
				b(ctx, res, created)
			}
		}
	}
	if o.SecondTransaction != nil {
		if h.SecondTransaction == nil {
			out.SecondTransaction = o.SecondTransaction
		} else {
			a, b := h.SecondTransaction, o.SecondTransaction
			out.SecondTransaction = func(ctx context.Context, backend, payment, transaction string) {
				a(ctx, backend, payment, transaction)
				b(ctx, backend, payment, transaction)
			}
		}
	}
	return out
}

// JoinHooks returns hooks calling each of hs in turn (the first's context
// wraps the next's).
func JoinHooks(hs ...Hooks) Hooks {
	var out Hooks
	for _, h := range hs {
		out = out.then(h)
	}
	return out
}

// hook calls a BrokerCall hook: a nil context it answers keeps ctx, and a
// nil done is one that does nothing (a hook of the shop's that adds
// nothing to the call may say so with nil).
func hook(h func(context.Context, string, string) (context.Context, func(error)), ctx context.Context, backend, op string) (context.Context, func(error)) {
	hctx, done := h(ctx, backend, op)
	if hctx == nil {
		hctx = ctx
	}
	if done == nil {
		done = func(error) {}
	}
	return hctx, done
}

// call runs fn, a call to backend's broker, inside the BrokerCall hook.
func call[T any](e *Engine, ctx context.Context, backend, op string, fn func(context.Context) (T, error)) (T, error) {
	if e.hooks.BrokerCall == nil {
		v, err := fn(ctx)
		return storableIDs(v), err
	}
	hctx, done := e.brokerCall(ctx, backend, op)
	v, err := fn(hctx)
	e.brokerCallDone(ctx, backend, op, done, err)
	return storableIDs(v), err
}

// brokerCall calls the BrokerCall hook; one that panics leaves the call
// ctx and a done that does nothing.
func (e *Engine) brokerCall(ctx context.Context, backend, op string) (hctx context.Context, done func(error)) {
	hctx, done = ctx, func(error) {}
	defer e.hookPanicked(ctx, "BrokerCall", "backend", backend, "op", op)
	return hook(e.hooks.BrokerCall, ctx, backend, op)
}

// brokerCallDone calls the BrokerCall hook's done with the call's error.
func (e *Engine) brokerCallDone(ctx context.Context, backend, op string, done func(error), err error) {
	defer e.hookPanicked(ctx, "BrokerCall done", "backend", backend, "op", op)
	done(err)
}

// hookPanicked, deferred around a call of hook name (the shop's code, as a
// listener is), recovers its panic and logs it at ERROR with what it was,
// where it came from (panicSite, as a listener's attempt says) and the
// stack: a hook
// that panicked in Run's polling or reconciling ended the shop's process,
// every payment's processing with it, and in a request it lost the
// answer to a change already committed.
func (e *Engine) hookPanicked(ctx context.Context, name string, args ...any) {
	if r := recover(); r != nil {
		e.log.ErrorContext(ctx, fmt.Sprintf("the %s hook panicked: %v%s; ignored, the engine carries on", name, r, panicSite()),
			append(append([]any{"hook", name}, args...), "stack", string(debug.Stack()))...)
	}
}

// storableIDs makes the ids a broker answered (its transaction's, a
// refund's) text as every store keeps them (getpaid.StorableText): a NUL
// or bytes that are not UTF-8 in them are stored as U+FFFD, and the engine
// compares what the broker names next with the stored id. Left as they
// came, a second notification of the same transaction read as another
// transaction. v is changed in place, its broker's own answer.
func storableIDs[T any](v T) T {
	switch a := any(v).(type) {
	case *getpaid.Observation:
		if a != nil {
			a.StorableIDs()
		}
	case *getpaid.Prepared:
		if a != nil {
			a.ExternalID = getpaid.StorableText(a.ExternalID)
		}
	}
	return v
}

// changed tells the Changed hook about a committed change.
func (e *Engine) changed(ctx context.Context, res *getpaid.UpdateResult, created bool) {
	if e.hooks.Changed != nil && res != nil {
		id := ""
		if res.Payment != nil {
			id = res.Payment.ID
		}
		defer e.hookPanicked(ctx, "Changed", "payment", id)
		e.hooks.Changed(ctx, res, created)
	}
}

// secondTransaction tells the SecondTransaction hook that broker
// transaction ext of payment id was recorded as a second transaction (its
// record written now, not found written already).
func (e *Engine) secondTransaction(ctx context.Context, b getpaid.Backend, id, ext string) {
	if e.hooks.SecondTransaction != nil {
		defer e.hookPanicked(ctx, "SecondTransaction", "backend", b.Name, "payment", id, "transaction", ext)
		e.hooks.SecondTransaction(ctx, b.Name, id, ext)
	}
}

// PaymentTotals counts the payments matching f by status and currency (the
// filter's limit and cursor are ignored). It needs a store implementing
// getpaid.PaymentTotaler; others answer getpaid.ErrNotSupported.
func (e *Engine) PaymentTotals(ctx context.Context, f getpaid.PaymentFilter) ([]getpaid.PaymentTotal, error) {
	pt, ok := e.store.(getpaid.PaymentTotaler)
	if !ok {
		return nil, fmt.Errorf("engine: payment totals: %w", getpaid.ErrNotSupported)
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("engine: payment totals: %w", unknownStatus(f.Status))
	}
	t, err := pt.PaymentTotals(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: payment totals: %w", err)
	}
	return t, nil
}

// Ready reports whether the store can serve: reachable, schema current. A
// store that does not implement getpaid.Readier is taken as ready.
func (e *Engine) Ready(ctx context.Context) error {
	r, ok := e.store.(getpaid.Readier)
	if !ok {
		return nil
	}
	if err := r.Ready(ctx); err != nil {
		return fmt.Errorf("engine: ready: %w", err)
	}
	return nil
}
