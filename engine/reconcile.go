package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// ReconcileConfig tunes how operations in doubt are resolved.
type ReconcileConfig struct {
	// Backoff is the wait before the first check of an operation in doubt,
	// then before each further check while the broker cannot settle it; the
	// last entry repeats. Nil means 10 s,
	// 30 s, 1 min, 5 min, 15 min, 1 h (Run checks every 5 s, so an
	// operation in doubt is first asked about within 15 s).
	Backoff []time.Duration
	// FlagAfter is how long after its creation an operation still not
	// resolved is flagged for an operator (it is still checked); 0 means
	// 24 h. Lowered, it holds for operations already older too: an
	// engine's first Reconcile makes them due, and they are flagged then.
	FlagAfter time.Duration
	// SubmittingAfter is how long an operation may stay submitting (its
	// broker call running) before the reconciler takes it for a process
	// that died during the call; 0 means 2 minutes (longer than any
	// broker's HTTP timeout). It is also how long after an operation began
	// the reconciler waits before it takes "the broker shows nothing done"
	// for failed: a request that timed out may still reach the broker.
	SubmittingAfter time.Duration
}

func (c ReconcileConfig) backoff(attempt int) time.Duration {
	b := c.Backoff
	if len(b) == 0 {
		b = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}
	}
	if attempt >= len(b) {
		return b[len(b)-1]
	}
	return b[attempt]
}

func (c ReconcileConfig) flagAfter() time.Duration {
	if c.FlagAfter <= 0 {
		return 24 * time.Hour
	}
	return c.FlagAfter
}

func (c ReconcileConfig) submittingAfter() time.Duration {
	if c.SubmittingAfter <= 0 {
		return 2 * time.Minute
	}
	return c.SubmittingAfter
}

// answerNotRecorded is the error of an operation taken up from submitting:
// what left it in doubt.
const answerNotRecorded = "the broker's answer was not recorded: the process calling it stopped, or its database was away"

// Reconcile resolves up to limit operations due for a check (see
// getpaid.DueRequest: in doubt, accepted but not finished, or stuck
// submitting because a process died during the broker call) by asking their
// broker what happened, and applies the answer through the one mutation
// path. It returns how many it resolved. Each operation is claimed first, so
// several instances never check one at the same time. A broker that gives
// no answer to a check (a timeout, a connection refused or cut) is asked
// about no other operation in this call: those are due again once their
// claim runs out (5 min), and the other brokers' are not held up by one
// timeout after another. When ctx ends (a graceful stop) the operations
// claimed whose checks did not end are given back, due at once.
func (e *Engine) Reconcile(ctx context.Context, limit int) (int, error) {
	if !e.flagsDue.Load() {
		if err := e.dueToFlag(ctx); err == nil {
			e.flagsDue.Store(true)
		} else if ctx.Err() == nil {
			// Tried again next round; the reconciling below may fail
			// the same way, and says so.
			e.log.WarnContext(ctx, "making due the operations past flag_operations_after failed; trying again next round", "err", err)
		}
	}
	now := e.now()
	ops, err := e.store.DueOperations(ctx, getpaid.DueRequest{Now: now, SubmittingBefore: now.Add(-e.reconcile.submittingAfter()),
		Limit: limit, Claim: 5 * time.Minute})
	if err != nil {
		return 0, fmt.Errorf("engine: reconcile: %w", err)
	}
	done := 0
	silent := map[string]bool{} // the backends whose broker answered no check in this call
	for i, op := range ops {
		if ctx.Err() != nil {
			e.giveBack(ctx, ops[i:])
			return done, ctx.Err()
		}
		if e.calling(op.ID) {
			// Its broker call still runs here, past SubmittingAfter: its
			// answer settles it. Claimed, it is due again once the claim
			// ends.
			continue
		}
		var state getpaid.OperationState
		var found string
		if !e.survived(ctx, "checking operation "+op.ID, func() { state, found, err = e.reconcileOne(ctx, op, silent) },
			"operation", op.ID, "kind", op.Kind, "payment", op.PaymentID, "backend", op.Backend) {
			continue
		}
		if state == "" && ctx.Err() != nil {
			// Stopping (a graceful stop): its check was cut off, which
			// found nothing. Given back, with those not yet asked about.
			e.giveBack(ctx, ops[i:])
			return done, ctx.Err()
		}
		if errors.Is(err, errUnasked) {
			// Claimed, it is due again once the claim ends. One left
			// submitting is in doubt now all the same (its process
			// is taken for dead): said so, not as if still at the
			// broker until its turn comes, one per claim.
			if op.State == getpaid.OpSubmitting {
				if err := e.orphaned(ctx, op); err != nil {
					e.log.WarnContext(ctx, "marking an operation in doubt failed", "operation", op.ID, "err", err)
				}
			}
			continue
		}
		if ne := (*notEnabledError)(nil); errors.As(err, &ne) {
			// This server's config does not enable the payment's backend
			// (a rollout adding it, or it was removed): its broker was not
			// asked, which is no check. Left to a server that enables it;
			// flagged as any other once it is due to be, saying why. Once
			// flagged, left as before: what a server that asks the broker
			// found stays its last check.
			if op.Flagged || e.now().Sub(op.CreatedAt) < e.reconcile.flagAfter() {
				if err := e.leaveCheck(ctx, op); err != nil {
					e.log.WarnContext(ctx, "rescheduling an operation check failed", "operation", op.ID, "err", err)
				}
				continue
			}
			found, err = "not checked: "+ne.Error(), nil
		}
		if found == "" {
			found = "asked the broker: nothing settled yet (still in progress there, or nothing to see yet)"
		}
		if err != nil {
			e.log.WarnContext(ctx, "reconciling an operation failed; will retry", "operation", op.ID, "kind", op.Kind, "payment", op.PaymentID, "err", err)
			found = err.Error()
		}
		if state.Final() {
			done++
		}
		if state != "" {
			continue // recorded, with its own next check if any
		}
		if err := e.checkLater(ctx, op, found); err != nil {
			e.log.WarnContext(ctx, "rescheduling an operation check failed", "operation", op.ID, "err", err)
		}
	}
	return done, nil
}

// dueToFlag makes due now the operations in doubt or pending past
// FlagAfter and not flagged: their next check was scheduled under an
// earlier, longer FlagAfter (flag_operations_after lowered, and a restart)
// up to a backoff step (an hour) away, and they are flagged at a check
// (checkLater), not before. Reconcile calls it once per engine.
func (e *Engine) dueToFlag(ctx context.Context) error {
	now := e.now()
	for _, st := range []getpaid.OperationState{getpaid.OpUnknown, getpaid.OpPending} {
		f := getpaid.OperationFilter{State: st, Limit: getpaid.MaxPageSize}
		for {
			page, err := e.store.Operations(ctx, f)
			if err != nil {
				return fmt.Errorf("engine: operations due to be flagged: %w", err)
			}
			for _, op := range page.Operations {
				if op.Flagged || now.Sub(op.CreatedAt) < e.reconcile.flagAfter() || !op.NextCheckAt.After(now) {
					continue
				}
				if _, err := e.CheckOperation(ctx, op.ID); err != nil && !errors.Is(err, getpaid.ErrConflict) {
					return err // settled since it was listed: a conflict, passed over
				}
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return nil
}

// errUnasked is an operation not checked: its broker answered no check
// earlier in the same Reconcile.
var errUnasked = errors.New("not asked: its broker answered no check just before")

// noAnswer reports whether err is a broker call that got no answer at all
// (a timeout, a connection refused or cut): a broker that does not answer,
// whichever operation it is asked about.
func noAnswer(err error) bool {
	var be *getpaid.BrokerError
	return errors.As(err, &be) && be.Retryable && be.Status == 0
}

// reconcileOne asks the broker about op and records what it says; it
// returns the state recorded, or "" when the broker could not tell, with
// what the check found when that is more than "nothing settled yet". A
// backend in silent is not asked (errUnasked); one whose broker gives no
// answer is added to it.
func (e *Engine) reconcileOne(ctx context.Context, op *getpaid.Operation, silent map[string]bool) (getpaid.OperationState, string, error) {
	p, b, err := e.load(ctx, op.PaymentID)
	if errors.Is(err, getpaid.ErrUnknownBackend) && p != nil {
		return "", "", &notEnabledError{backend: p.Backend, err: err}
	}
	if err != nil {
		return "", "", err
	}
	if silent[b.Name] {
		return "", "", errUnasked
	}
	var state getpaid.OperationState
	var obs *getpaid.Observation
	if op.Kind == getpaid.OpRefund {
		state, obs, err = e.refundFate(ctx, b, p, op)
	} else {
		state, obs, err = e.holdFate(ctx, b, p, op)
	}
	if noAnswer(err) {
		silent[b.Name] = true
	}
	if err != nil || state == "" {
		return "", "", err
	}
	if state == getpaid.OpFailed && e.calling(op.ID) {
		return "", "the broker shows it not done yet, and its call still runs in this process: its answer settles it", nil
	}
	if sure := op.CreatedAt.Add(e.reconcile.submittingAfter()); state == getpaid.OpFailed && e.now().Before(sure) {
		// The broker shows nothing done yet, but a request that timed out
		// may still reach it, or be still in its queue: failed now would
		// be a guess (and a refund asked again would move the money
		// twice). Asked again on the backoff until SubmittingAfter has
		// passed since the operation began, and its call (if it runs
		// here) has ended. Said as what the check found, so that an
		// operator does not resolve by hand what is failed by itself then.
		return "", fmt.Sprintf("the broker shows it not done; taken for failed at a check from %s on, once a request that timed out can no longer reach the broker",
			sure.UTC().Format(time.RFC3339)), nil
	}
	ref := ""
	if obs != nil {
		ref = obs.BrokerRef
	}
	why := ""
	if op.State == getpaid.OpSubmitting && op.Error == "" {
		// Taken up from a process that died during its call: kept, as a
		// timeout's error is, so that what left it in doubt stays said.
		why = answerNotRecorded
	}
	if state == getpaid.OpFailed {
		// Not a refusal: the call's answer was lost, and the broker's
		// records show it never acted.
		why = "not carried out, as a later check with the broker showed"
		switch {
		case op.Error != "":
			why += " (the call had failed: " + op.Error + ")"
		case op.State == getpaid.OpSubmitting:
			why += " (" + answerNotRecorded + ")"
		}
	}
	res, err := e.finishCounted(ctx, b, p.ID, op, state, obs, why, ref, true)
	if err != nil {
		return "", "", err
	}
	e.log.InfoContext(ctx, "operation reconciled with the broker", "operation", op.ID, "kind", op.Kind, "state", res.Operation.State, "payment", p.ID)
	return res.Operation.State, "", nil
}

// refundFate asks the broker how a refund ended. An empty state means the
// broker cannot tell yet.
func (e *Engine) refundFate(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, op *getpaid.Operation) (getpaid.OperationState, *getpaid.Observation, error) {
	f, ok := b.Broker.(getpaid.OperationFetcher)
	if !ok {
		return "", nil, nil // only a notification or an operator can tell
	}
	obs, err := call(e, ctx, b.Name, "fetch_operation", func(ctx context.Context) (*getpaid.Observation, error) {
		return f.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op})
	})
	obs, err = answered(b.Name, "FetchOperation", obs, err)
	if errors.Is(err, getpaid.ErrNotFound) {
		if op.State == getpaid.OpPending {
			// The broker accepted it once: not finding it now is odd;
			// leave it to an operator rather than guess.
			return "", nil, fmt.Errorf("the broker no longer knows accepted refund %s", op.ID)
		}
		return getpaid.OpFailed, nil, nil // the request never reached it: nothing was refunded
	}
	if err != nil {
		return "", nil, err
	}
	st := outcome(op, obs)
	if st == getpaid.OpPending {
		if op.State == getpaid.OpPending {
			return "", nil, nil // still being processed
		}
		return getpaid.OpPending, obs, nil // it did reach the broker
	}
	return st, obs, nil
}

// holdFate asks the broker, through the payment's status, whether a
// capture, release or cancel happened.
func (e *Engine) holdFate(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, op *getpaid.Operation) (getpaid.OperationState, *getpaid.Observation, error) {
	f, ok := b.Broker.(getpaid.StatusFetcher)
	if !ok {
		return "", nil, nil
	}
	obs, err := e.fetchStatus(ctx, b, f, p)
	if err != nil {
		return "", nil, err
	}
	if obs.PaymentID == "" && obs.ExternalID == "" {
		obs.PaymentID = p.ID
	}
	switch op.Kind {
	case getpaid.OpCapture:
		switch {
		case obs.Kind == getpaid.KindCaptured && obs.Amount.Minor > op.Baseline:
			if asked := op.Baseline + op.Amount.Minor; obs.HoldFirst && obs.ReleaseRest && op.Amount.Minor > 0 && obs.Amount.Minor > asked {
				// A broker that captures another amount only out of a hold
				// and releases the rest with it (PayU) completed the order
				// by this capture; more than it asked for is the order's
				// amount restated (PayU does not say that a partly
				// captured order's totalAmount becomes what was captured),
				// not money: the rest went back to the buyer.
				c := *obs
				c.Amount = p.Money(asked)
				obs = &c
			}
			return getpaid.OpSucceeded, obs, nil
		case obs.Kind == getpaid.KindCaptured && obs.Amount.Minor == op.Baseline && obs.ReleaseRest:
			// Nothing more captured, and the rest of the hold released
			// meanwhile (the dummy's release after a partial capture): the
			// capture did not happen, and the release is recorded.
			return getpaid.OpFailed, obs, nil
		case obs.Kind == getpaid.KindLocked || obs.Kind == getpaid.KindCaptured && obs.Amount.Minor == op.Baseline:
			return getpaid.OpFailed, nil, nil // the hold is as it was
		case obs.Kind == getpaid.KindReleased:
			// The hold was released, nothing captured (the dummy's
			// release): the capture did not happen, and the release is
			// recorded.
			return getpaid.OpFailed, obs, nil
		case obs.Kind == getpaid.KindFailed:
			// The order ended with nothing captured (PayU's CANCELED: the
			// hold expired or was released): the capture did not happen,
			// and the hold's end is recorded.
			return getpaid.OpFailed, obs, nil
		}
	case getpaid.OpRelease:
		switch {
		case obs.Kind == getpaid.KindCaptured && (obs.HoldFirst || obs.Amount.Minor > p.Captured):
			// The hold was captured, not released (in the broker's panel,
			// say, while the release's answer was lost or it never
			// arrived): the release did not happen, and the money, unless
			// already recorded (the notification came first, or an earlier
			// check inside the window recorded it), is recorded through the
			// one path. PayU's COMPLETED (HoldFirst) says ReleaseRest too,
			// but of the rest of a capture: a completed order was never
			// released, whatever getpaid has recorded of it.
			if obs.Amount.Minor > p.Captured {
				if err := e.observe(ctx, b, obs, &getpaid.CallbackResult{}, true); err != nil {
					return "", nil, err
				}
			}
			return getpaid.OpFailed, nil, nil
		case obs.Kind == getpaid.KindReleased, obs.Kind == getpaid.KindFailed, obs.Kind == getpaid.KindCaptured && obs.ReleaseRest:
			// A broker that reports an order cancelled as failed (PayU's
			// CANCELED, which does not say whether getpaid released it)
			// holds nothing any more: what the release asked for.
			return getpaid.OpSucceeded, &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, BrokerStatus: obs.BrokerStatus}, nil
		case obs.Kind == getpaid.KindLocked, obs.Kind == getpaid.KindCaptured && obs.RestHeld:
			// Still held (after part of it was captured, as the dummy
			// shows): the release was not done.
			return getpaid.OpFailed, nil, nil
		}
	case getpaid.OpCancel:
		switch obs.Kind {
		case getpaid.KindReleased:
			return getpaid.OpSucceeded, obs, nil
		case getpaid.KindFailed:
			// A broker that reports an order cancelled as failed (PayU's
			// CANCELED) ended what the cancel asked it to end: the payment
			// is cancelled, as when that status comes as a notification
			// while the cancel is under way (releaseUnderWay), not failed.
			return getpaid.OpSucceeded, &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, BrokerStatus: obs.BrokerStatus}, nil
		case getpaid.KindNone, getpaid.KindPending:
			return getpaid.OpFailed, nil, nil // still payable at the broker
		case getpaid.KindCaptured, getpaid.KindLocked:
			// The buyer paid first: the cancel did not happen, and the money
			// is recorded through the one path.
			if err := e.observe(ctx, b, obs, &getpaid.CallbackResult{}, true); err != nil {
				return "", nil, err
			}
			return getpaid.OpFailed, nil, nil
		}
	}
	return "", nil, nil
}

// notEnabledError is an operation's check on a server whose config does not
// enable the payment's backend.
type notEnabledError struct {
	backend string
	err     error
}

func (e *notEnabledError) Error() string {
	return fmt.Sprintf("backend %q is not enabled on the server that looked (its config): one that enables it asks the broker; if none does, enable it again or resolve the operation", e.backend)
}

func (e *notEnabledError) Unwrap() error { return e.err }

// leaveCheck gives op, claimed by a server that cannot ask its broker, back
// to the others: due again after the wait it had (its step of the backoff,
// not the next), no check counted, what the last check found kept.
func (e *Engine) leaveCheck(ctx context.Context, op *getpaid.Operation) error {
	now := e.now()
	_, err := e.mutate(ctx, op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			if o.State.Final() || o.NextCheckAt.Before(op.NextCheckAt) {
				return false, nil // settled, or made due sooner meanwhile
			}
			next := now.Add(e.reconcile.backoff(o.Attempts))
			if flag := o.CreatedAt.Add(e.reconcile.flagAfter()); !o.Flagged && flag.After(now) && flag.Before(next) {
				next = flag
			}
			o.NextCheckAt = next
			return true, nil
		}},
	})
	return err
}

// flagIfDue flags o, still unresolved, for an operator once FlagAfter has
// passed since it began (at now): the console's "Needs attention" and
// getpaid_operations_flagged. It reports whether it flagged it, for
// logFlagged once the write is done: a store may run the change more than
// once for one write, or for one it then fails.
func (e *Engine) flagIfDue(o *getpaid.Operation, now time.Time) bool {
	if o.Flagged || now.Sub(o.CreatedAt) < e.reconcile.flagAfter() {
		return false
	}
	o.Flagged = true
	return true
}

// logFlagged logs at ERROR the operation a write flagged (flagged: its
// change, as last run, did), once the write is done (err nil).
func (e *Engine) logFlagged(ctx context.Context, res *getpaid.UpdateResult, err error, flagged bool) {
	if err != nil || !flagged || res.Operation == nil || !res.Operation.Flagged {
		return
	}
	o := res.Operation
	e.log.ErrorContext(ctx, "operation still unresolved: an operator should decide", "operation", o.ID,
		"kind", o.Kind, "payment", o.PaymentID, "state", o.State, "since", o.CreatedAt)
}

// orphaned records op, left submitting past SubmittingAfter by a process
// taken for dead and not yet asked about (its broker answered no check just
// before), as in doubt, why said, and flagged when past FlagAfter; its
// next check stays the claim's end, no check counted.
func (e *Engine) orphaned(ctx context.Context, op *getpaid.Operation) error {
	flagged := false
	res, err := e.mutate(ctx, op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			flagged = false
			if o.State != getpaid.OpSubmitting {
				return false, nil // its answer came meanwhile
			}
			o.State, o.Error = getpaid.OpUnknown, answerNotRecorded
			// Past FlagAfter already: flagged now, as a check would, not
			// at its next check, once the claim ends.
			flagged = e.flagIfDue(o, e.now())
			return true, nil
		}},
	})
	e.logFlagged(ctx, res, err, flagged)
	return err
}

// giveBack makes ops, claimed by a Reconcile that ctx stopped before their
// checks ended, due again now (each as it was, unless changed since it was
// claimed), no check counted: the server started next, or another sharing
// the store, checks them in its first round rather than once the claim
// runs out (5 min). One whose broker call still runs here stays claimed:
// its answer settles it. The writes outlive ctx, for 5 s at most.
func (e *Engine) giveBack(ctx context.Context, ops []*getpaid.Operation) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := e.now()
	for _, op := range ops {
		if e.calling(op.ID) {
			continue
		}
		_, err := e.mutate(ctx, op.PaymentID, getpaid.Mutation{
			Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				if o.State.Final() || !o.NextCheckAt.Equal(op.NextCheckAt) || !o.NextCheckAt.After(now) {
					return false, nil // settled, or rescheduled since it was claimed
				}
				o.NextCheckAt = now
				return true, nil
			}},
		})
		if err != nil {
			e.log.WarnContext(ctx, "giving back an operation claimed for a check failed: it is checked once its claim runs out (5 min)", "operation", op.ID, "err", err)
			return // the store is away or closing: the others would fail the same way
		}
	}
}

// checkLater schedules op's next check with backoff (unless it was made due
// sooner since op, as claimed, was read), and flags it for an operator once
// it has waited too long. found is what this check found,
// kept as the operation's LastCheck for that operator.
func (e *Engine) checkLater(ctx context.Context, op *getpaid.Operation, found string) error {
	now := e.now()
	flagged := false
	res, err := e.mutate(ctx, op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			flagged = false
			if o.State.Final() {
				return false, nil
			}
			if o.State == getpaid.OpSubmitting {
				o.State, o.Error = getpaid.OpUnknown, answerNotRecorded
			}
			next := now.Add(e.reconcile.backoff(o.Attempts + 1)) // the first wait came with the doubt
			if o.NextCheckAt.Before(op.NextCheckAt) {
				// Made due sooner while this check ran (op is as claimed):
				// an operator's CheckOperation, asked after this check had
				// begun, perhaps before the broker was back. That stands.
				next = o.NextCheckAt
			}
			if flag := o.CreatedAt.Add(e.reconcile.flagAfter()); !o.Flagged && flag.After(now) && flag.Before(next) {
				next = flag // checked, and flagged, when it is due to be: not up to a backoff step later
			}
			if sure := o.CreatedAt.Add(e.reconcile.submittingAfter()); sure.After(now) && sure.Before(next) {
				// From then on "the broker shows nothing done" is failed
				// (reconcileOne): checked then, so that the reservation of
				// an operation that never happened is not kept up to a
				// backoff step longer.
				next = sure
			}
			o.NextCheckAt = next
			o.Attempts++
			o.LastCheck = found
			flagged = e.flagIfDue(o, now)
			return true, nil
		}},
	})
	e.logFlagged(ctx, res, err, flagged)
	return err
}

// CheckOperation makes an operation in doubt, or accepted by its broker and
// not yet finished, due for its next check now: Run's reconciler asks the
// broker within its next round (5 s) instead of at the end of the backoff
// step (up to an hour): for an operator who knows the broker is back. Its
// checks so far, and so its place in the backoff, stay. A settled operation
// is refused (getpaid.ErrConflict), and so is one whose broker call is still
// running (submitting): it is checked once that call ends, or once it is
// taken for lost.
func (e *Engine) CheckOperation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := e.store.Operation(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: check %q: %w", id, err)
	}
	now := e.now()
	res, err := e.mutate(ctx, op.PaymentID, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			switch {
			case o.State.Final():
				return false, &getpaid.OperationError{Op: o, Err: fmt.Errorf("%w: already %s", getpaid.ErrConflict, o.State)}
			case o.State == getpaid.OpSubmitting:
				return false, &getpaid.OperationError{Op: o, Err: fmt.Errorf("%w: its broker call is still running", getpaid.ErrConflict)}
			case !o.NextCheckAt.After(now):
				return false, nil // due already
			}
			o.NextCheckAt = now
			return true, nil
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("engine: check %s: %w", id, err)
	}
	op = res.Operation
	e.log.InfoContext(ctx, "operation due for a check now", "operation", op.ID, "kind", op.Kind, "payment", op.PaymentID)
	return op, nil
}

// ResolveOperation records an operator's decision on an operation that is
// not final (in doubt, pending, or stuck submitting: submitting for
// ReconcileConfig.SubmittingAfter, its process taken for dead; one whose
// broker call may still be running is refused, getpaid.ErrConflict) and
// applies it: a refund
// resolved as succeeded counts as refunded, as failed it is refundable
// again; a capture as succeeded counts as captured; a release or cancel as
// succeeded releases the payment (refused, getpaid.ErrConflict, once the
// broker has reported captured the money it was to give back). One
// settled and flagged (what the broker said since contradicts how it
// ended: its error says how) is acknowledged by resolving it as the state
// it is in: its flag is cleared, nothing else changes. With req.Seen
// (the operation's UpdatedAt when the operator was shown it), one changed
// since (another contradiction, a check, another resolution) is refused,
// getpaid.ErrConflict with the operation as it is, in the write that
// resolves it. The
// operator and the note are recorded;
// both are required (blanks alone are getpaid.ErrInvalidRequest). An
// operation ended since it was read (by the broker, the reconciler or
// another resolution) is getpaid.ErrConflict with the operation.
func (e *Engine) ResolveOperation(ctx context.Context, req getpaid.ResolveRequest) (*getpaid.ActionResult, error) {
	if req.As != getpaid.OpSucceeded && req.As != getpaid.OpFailed {
		return nil, fmt.Errorf("engine: resolve: %w", &getpaid.FieldError{Field: "as", Reason: "want succeeded or failed", Err: getpaid.ErrInvalidRequest})
	}
	if strings.TrimSpace(req.Note) == "" { // blanks alone say nothing
		return nil, fmt.Errorf("engine: resolve: %w", &getpaid.FieldError{Field: "note", Reason: "say why (it is kept with the operation)", Err: getpaid.ErrInvalidRequest})
	}
	if err := checkText("note", req.Note, MaxDescription); err != nil {
		return nil, fmt.Errorf("engine: resolve: %w", err)
	}
	if strings.TrimSpace(req.By) == "" {
		// Kept with the operation and in the payment's history; and a
		// settled operation naming nobody is one no operator touched.
		return nil, fmt.Errorf("engine: resolve: %w", &getpaid.FieldError{Field: "by", Reason: "say who decides (it is kept with the operation)", Err: getpaid.ErrInvalidRequest})
	}
	if err := checkText("by", req.By, MaxName); err != nil {
		return nil, fmt.Errorf("engine: resolve: %w", err)
	}
	op, err := e.store.Operation(ctx, req.OperationID)
	if err != nil {
		return nil, fmt.Errorf("engine: resolve %q: %w", req.OperationID, err)
	}
	if op.State.Final() && op.Flagged {
		return e.acknowledge(ctx, op, req)
	}
	if op.State.Final() {
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: already %s", getpaid.ErrConflict, op.State)})
	}
	if err := e.callRunning(op); err != nil {
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
	}
	p, b, err := e.load(ctx, op.PaymentID)
	if errors.Is(err, getpaid.ErrUnknownBackend) && p != nil {
		// The backend is no longer configured (removed or renamed since):
		// its broker cannot be asked, which leaves the decision to an
		// operator all the more. Recording it needs only the name, which
		// keys the facts it states.
		b, err = getpaid.Backend{Name: p.Backend}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
	}
	var obs *getpaid.Observation
	if req.As == getpaid.OpFailed && op.Kind == getpaid.OpRefund {
		// The reservation given back says who decided (the payment's
		// history, the webhook's cause), as a refund resolved as done does.
		obs = &getpaid.Observation{BrokerStatus: "resolved by " + req.By}
	}
	if req.As == getpaid.OpSucceeded {
		switch op.Kind {
		case getpaid.OpRefund:
			obs = &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: op.Amount, EventID: op.ID, BrokerStatus: "resolved by " + req.By}
		case getpaid.OpCapture:
			obs = &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Money(op.Baseline + op.Amount.Minor), BrokerStatus: "resolved by " + req.By}
		default:
			obs = &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "resolved by " + req.By}
		}
	}
	var reserved int64 // what this payment's refunds under way reserved, this one's included
	if op.Kind == getpaid.OpRefund && req.As == getpaid.OpSucceeded {
		if reserved, err = e.refundsUnderWay(ctx, p.ID); err != nil {
			return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
		}
	}
	m := e.finishing(b, op, req.As, obs, "", "")
	// The reservations are weighed against the refunds under way as read
	// after the payment at version seen: a change since (another refund
	// asked or ended) makes them stale, and the decision is asked again.
	seen := p.Version
	conflict := &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: the payment changed while the refund was being resolved; resolve it again", getpaid.ErrConflict)}
	stale := func(q *getpaid.Payment) error {
		if q.Version == seen {
			return nil
		}
		return conflict
	}
	if op.Kind == getpaid.OpRefund && req.As == getpaid.OpFailed {
		if m, err = e.keepingOthers(ctx, p.ID, op, m, conflict); err != nil {
			return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
		}
	}
	if reserved > 0 && req.As == getpaid.OpSucceeded {
		apply := m.Apply
		m.Apply = func(q *getpaid.Payment) (bool, error) {
			if err := stale(q); err != nil {
				return false, err
			}
			if reserved > q.RefundAsked {
				// A refund the broker reported without naming its
				// operation (its lookup failing) took a reservation: it
				// may be this one, counted already.
				return false, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: refunds the broker reported without naming their operation were counted "+
					"against the reservations of this payment's refunds under way (%s of %s left reserved): this refund may be one of them, counted already, "+
					"and resolving it as succeeded could count it twice; compare the broker's refund ids in the payment's history with its panel: "+
					"if it is counted, resolve it as failed with a note saying so; if not, let the reconciler ask the broker (check it now)",
					getpaid.ErrConflict, q.Money(q.RefundAsked), q.Money(reserved))}
			}
			return apply(q)
		}
	}
	if req.As == getpaid.OpSucceeded && (op.Kind == getpaid.OpRelease || op.Kind == getpaid.OpCancel) {
		apply := m.Apply
		m.Apply = func(q *getpaid.Payment) (bool, error) {
			if heldMoneyCaptured(op, q) {
				// The broker's word on captured money stands: what the
				// release or cancel was to give back was captured.
				return false, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: the broker reported the payment paid (%s captured, %s when the %s was asked): it cannot have been done; resolve it as failed",
					getpaid.ErrConflict, q.Money(q.Captured), q.Money(op.Baseline), op.Kind)}
			}
			return apply(q)
		}
	}
	update := m.Operation.Update
	m.Operation.Update = func(o *getpaid.Operation, q *getpaid.Payment) (bool, error) {
		if !o.State.Final() {
			if err := e.callRunning(o); err != nil {
				return false, err
			}
			if changedSince(o, req.Seen) {
				return false, changedError(o, req.Seen)
			}
		}
		changed, err := update(o, q)
		if changed {
			o.ResolvedBy, o.Note, o.Flagged = req.By, req.Note, false
		}
		return changed, err
	}
	up, err := e.mutate(context.WithoutCancel(ctx), p.ID, m)
	if errors.Is(err, getpaid.ErrDuplicateEvent) || errors.Is(err, conflict) {
		// The decision's fact, keyed by the operation, is recorded
		// already: another resolution the same way ended it since it was
		// read (the store refuses the repeat before the operation is seen
		// settled). Or the payment changed since it was read, which the
		// reservations' check finds before the operation is seen: ended
		// since (another resolution either way, the broker's answer, a
		// notification, the reconciler), resolving it again is no advice.
		// That stands, as any end since the read does.
		if cur, rerr := e.store.Operation(ctx, op.ID); rerr == nil && cur.State.Final() {
			err = &endedError{op: cur}
		}
	}
	if ended := (*endedError)(nil); errors.As(err, &ended) {
		// The broker's answer, a notification or the reconciler ended it
		// since it was read: that stands.
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, &getpaid.OperationError{Op: ended.op, Err: fmt.Errorf("%w: already %s", getpaid.ErrConflict, ended.op.State)})
	}
	if err != nil {
		return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, err)
	}
	e.log.InfoContext(ctx, "operation resolved by an operator", "operation", op.ID, "kind", op.Kind, "as", req.As, "by", req.By, "note", req.Note, "payment", p.ID)
	return &getpaid.ActionResult{Payment: up.Payment, Operation: up.Operation}, nil
}

// refundsUnderWay sums the amounts of payment id's refunds not final (their
// reservations, as long as no refund the broker reported unlinked took one).
func (e *Engine) refundsUnderWay(ctx context.Context, id string) (int64, error) {
	var sum int64
	f := getpaid.OperationFilter{PaymentID: id, Kind: getpaid.OpRefund, Limit: getpaid.MaxPageSize}
	for {
		page, err := e.store.Operations(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, op := range page.Operations {
			if !op.State.Final() {
				sum += op.Amount.Minor
			}
		}
		if page.NextCursor == "" {
			return sum, nil
		}
		f.Cursor = page.NextCursor
	}
}

// callRunning refuses an operator's decision on an operation whose broker
// call may still be running: submitting for less than SubmittingAfter, or
// its call running in this engine however long it takes. The
// call's answer settles it; a decision before it would race the broker (a
// running refund taken for failed gives its reservation back, so the same
// money could be refunded again while the first refund is at the broker).
// After SubmittingAfter a call not running here is taken for lost (its
// process died), as the reconciler takes it, and an operator may decide.
func (e *Engine) callRunning(op *getpaid.Operation) error {
	if op.State != getpaid.OpSubmitting || e.now().Sub(op.CreatedAt) >= e.reconcile.submittingAfter() && !e.calling(op.ID) {
		return nil
	}
	o := *op
	return &getpaid.OperationError{Op: &o, Err: fmt.Errorf("%w: its broker call is still running", getpaid.ErrConflict)}
}

// calling reports whether the operation's broker call runs in this engine.
func (e *Engine) calling(id string) bool {
	_, ok := e.calls.Load(id)
	return ok
}
