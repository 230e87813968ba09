package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/getpaid-go/getpaid"
)

// refundGone logs, at ERROR, a refund the broker reports done (obs, counted
// on its own as a refund getpaid did not ask for) while the broker says it
// never made (or rejected) refund op, which an operator resolved as done:
// if obs is the money the operator counted (a refund made by hand in the
// panel), the payment's refunded total exceeds what the broker paid back.
// Which it is, only the operator knows: both are named, and the operation's
// error says so too (the console's payment page, operations show).
func (e *Engine) refundGone(ctx context.Context, b getpaid.Backend, op *getpaid.Operation, obs *getpaid.Observation, p *getpaid.Payment) {
	why := fmt.Sprintf("the broker has no refund of this operation, resolved as done by %s, and reported refund %s of %s, counted on its own: if that is the refund resolved here, it is counted twice", op.ResolvedBy, obs.BrokerRef, obs.Amount)
	e.log.ErrorContext(ctx, "the broker says a refund an operator resolved as done was never made, and reports another refund, counted on its own: if that is the one the operator saw, the payment's refunded total exceeds what the broker paid back; compare with the broker's panel",
		"operation", op.ID, "amount", op.Amount.String(), "resolved_by", op.ResolvedBy, "note", op.Note, "payment", p.ID, "backend", b.Name,
		"broker_refund", obs.BrokerRef, "broker_amount", obs.Amount.String(), "refunded", p.Money(p.Refunded).String())
	e.noteOnEnded(ctx, op, "", why)
}

// noteOnEnded records why on operation op, which has ended (and, when state
// is set, moves it there, settled then by the broker's word, not by the
// operator who resolved it: why names them): what the broker said since
// contradicts how it ended. Nothing of the payment changes. A failure to
// record it is logged: the ERROR that called it has said what happened.
// The operation is flagged, for operators to see where they look (Needs
// attention, operations --flagged, getpaid_operations_flagged) until one
// acknowledges it (ResolveOperation as the state it is in); the same
// contradiction seen again does not flag it anew.
func (e *Engine) noteOnEnded(ctx context.Context, op *getpaid.Operation, state getpaid.OperationState, why string) {
	_, err := e.mutate(context.WithoutCancel(ctx), op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			if !o.State.Final() || o.Error == why && (state == "" || o.State == state) {
				return false, nil
			}
			o.Error, o.Flagged = why, true
			if state != "" {
				o.State, o.ResolvedBy, o.Note = state, "", ""
			}
			return true, nil
		}},
	})
	if err != nil {
		e.log.ErrorContext(ctx, "that the broker contradicts how an operation ended could not be recorded on it", "operation", op.ID, "payment", op.PaymentID, "err", err)
	}
}

// acknowledge clears the flag of operation op, settled and flagged (what
// the broker said since contradicts how it ended: noteOnEnded), for an
// operator who resolves it as the state it is in, and records who and why:
// as its resolution when the broker's word moved it (a release or cancel,
// failed), else in the note of the resolution that stands, whose operator
// stays (a refund counted as done: what the broker says of it next names
// who resolved it). Nothing else changes: the money stays as the broker said. Resolved as
// another state, acknowledged since it was read, or changed since the
// operator was shown it (req.Seen: another contradiction the broker
// reported since, which nobody was shown), it is getpaid.ErrConflict with
// the operation, checked in the write that clears the flag.
func (e *Engine) acknowledge(ctx context.Context, op *getpaid.Operation, req getpaid.ResolveRequest) (*getpaid.ActionResult, error) {
	up, err := e.mutate(context.WithoutCancel(ctx), op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			switch {
			case !o.Flagged:
				return false, &getpaid.OperationError{Op: o, Err: fmt.Errorf("%w: already %s", getpaid.ErrConflict, o.State)}
			case changedSince(o, req.Seen):
				return false, changedError(o, req.Seen)
			case o.State != req.As:
				return false, &getpaid.OperationError{Op: o, Err: fmt.Errorf("%w: it has %s, and what the broker said since contradicts how it ended (its error says how): "+
					"resolve it as %s to acknowledge that; nothing else changes (the money stays as the broker said)", getpaid.ErrConflict, o.State, o.State)}
			}
			o.Flagged = false
			if o.ResolvedBy == "" { // moved by the broker's word: req settles it
				o.ResolvedBy, o.Note = req.By, req.Note
				return true, nil
			}
			// The resolution stands (a refund counted as done): who made
			// it stays, which what the broker says next names, and the
			// acknowledgement is recorded with its note.
			o.Note = fmt.Sprintf("%s; acknowledged by %s: %s", o.Note, req.By, req.Note)
			return true, nil
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
	}
	e.log.InfoContext(ctx, "operation the broker contradicted acknowledged by an operator", "operation", op.ID, "kind", op.Kind, "state", up.Operation.State, "by", req.By, "note", req.Note, "payment", op.PaymentID)
	return &getpaid.ActionResult{Payment: up.Payment, Operation: up.Operation}, nil
}

// heldMoneyCaptured reports whether the broker captured, after release or
// cancel op was asked, money of p that op was to give back: p's captured
// total is more than when op was asked. Then op was not done.
func heldMoneyCaptured(op *getpaid.Operation, p *getpaid.Payment) bool {
	return (op.Kind == getpaid.OpRelease || op.Kind == getpaid.OpCancel) && p.Captured > op.Baseline
}

// releasesContradicted ends as failed the releases and cancels of payment
// p an operator resolved as done, when the broker has since reported money
// captured (p, as obs left it) that they were to give back: the broker's
// word on captured money stands, and the release or cancel cannot have
// happened. Logged at ERROR, naming the operation and the amounts.
func (e *Engine) releasesContradicted(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation) {
	page, err := e.store.Operations(context.WithoutCancel(ctx), getpaid.OperationFilter{PaymentID: p.ID, State: getpaid.OpSucceeded, Limit: getpaid.MaxPageSize})
	if err != nil {
		e.log.ErrorContext(ctx, "whether the broker's capture contradicts a release or cancel an operator resolved as done could not be read: check the payment's operations",
			"payment", p.ID, "backend", b.Name, "captured", p.Money(p.Captured).String(), "err", err)
		return
	}
	for _, op := range page.Operations {
		if op.ResolvedBy == "" || !heldMoneyCaptured(op, p) {
			continue
		}
		e.log.ErrorContext(ctx, "the broker reports money captured that a release or cancel an operator resolved as done was to give back: the payment counts what the broker captured, and the operation is recorded as failed; check the broker's panel and settle it with the buyer",
			"operation", op.ID, "kind", op.Kind, "amount", op.Amount.String(), "resolved_by", op.ResolvedBy, "note", op.Note,
			"payment", p.ID, "backend", b.Name, "captured_before", p.Money(op.Baseline).String(), "captured", p.Money(p.Captured).String(),
			"payment_amount", p.Amount.String(), "broker_status", obs.BrokerStatus)
		why := fmt.Sprintf("resolved as done by %s (%q), but the broker then reported the payment paid (%s captured, %s when the %s was asked): not done",
			op.ResolvedBy, op.Note, p.Money(p.Captured), p.Money(op.Baseline), op.Kind)
		e.noteOnEnded(ctx, op, getpaid.OpFailed, why)
	}
}

// changedSince reports whether operation o, as the store has it, changed
// since seen, when an operator was shown it (its UpdatedAt then, as the
// store returned it; zero: no precondition).
func changedSince(o *getpaid.Operation, seen time.Time) bool {
	return !seen.IsZero() && !o.UpdatedAt.Equal(seen)
}

// changedError is the refusal of a resolution of operation o, which
// changed since it was shown as it was at seen.
func changedError(o *getpaid.Operation, seen time.Time) error {
	return &getpaid.OperationError{Op: o, Err: fmt.Errorf("%w: it changed since it was shown (as it was at %s; it changed at %s): "+
		"read it again and decide on it as it is now", getpaid.ErrConflict, seen.Format(time.RFC3339Nano), o.UpdatedAt.Format(time.RFC3339Nano))}
}
