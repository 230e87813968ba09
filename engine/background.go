package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Poll asks the broker for the payment's status (pull mode) and applies what
// it says. A broker without StatusFetcher gives a *getpaid.UnsupportedError
// (getpaid.ErrNotSupported).
func (e *Engine) Poll(ctx context.Context, id string) (*getpaid.Payment, error) {
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: poll: %w", err)
	}
	f, ok := b.Broker.(getpaid.StatusFetcher)
	if !ok {
		return nil, fmt.Errorf("engine: poll %s: %w", id, unsupported(b.Name, "poll"))
	}
	obs, err := e.fetchStatus(ctx, b, f, p)
	if err != nil {
		return nil, fmt.Errorf("engine: poll %s: %w", id, err)
	}
	if obs.PaymentID == "" && obs.ExternalID == "" {
		obs.PaymentID = p.ID
	}
	// What a poll reports is confirmed with the broker like a notification
	// (Przelewy24 verify) before it is applied.
	res := &getpaid.CallbackResult{Payment: p}
	if err := e.observe(ctx, b, obs, res, true); err != nil {
		return nil, fmt.Errorf("engine: poll: %w", err)
	}
	e.heldWhileCancelled(ctx, b.Name, obs, res)
	if res.Outcome != getpaid.OutcomeApplied {
		return e.Payment(ctx, id)
	}
	return res.Payment, nil
}

// EndedPollEvery is how often PollStale takes a last look at the broker of
// a payment cancelled (by an expiry, a release or a cancel) within its
// maxAge: money a buyer paid after the payment expired is recorded even
// when no notification says so, within this long.
const EndedPollEvery = time.Hour

// PollWindow is how long Run polls the broker of a payment that waits for
// a notification (from its creation) or that ended unpaid (from its last
// change: a last look for money paid late, every EndedPollEvery).
const PollWindow = 72 * time.Hour

// PollStale polls the brokers of up to limit payments per backend still
// waiting on them (prepared, charge_started) that have not changed for
// olderThan and are not older than maxAge, so a payment whose notifications
// were lost is still finished (one whose backend's deadline comes within
// olderThan is left to Expire's last poll); and of up to limit payments per
// backend cancelled within maxAge, each once per EndedPollEvery, so money
// paid after an expiry is recorded too. Each
// payment is claimed first: several instances sharing a database poll it
// once per interval between them. It needs a Store that implements
// getpaid.StaleLister (else it does nothing) and returns how many payments
// changed. A broker failure on one payment is logged and the others are
// still polled.
func (e *Engine) PollStale(ctx context.Context, olderThan, maxAge time.Duration, limit int) (int, error) {
	changed := 0
	for _, b := range e.reg.All() {
		n, err := e.pollStale(ctx, b.Name, olderThan, maxAge, limit)
		changed += n
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// pollStale is PollStale for one backend's payments.
func (e *Engine) pollStale(ctx context.Context, backend string, olderThan, maxAge time.Duration, limit int) (int, error) {
	sl, ok := e.store.(getpaid.StaleLister)
	if !ok || !e.canPoll(backend) {
		return 0, nil
	}
	now := e.now()
	// A payment whose deadline comes before this poll's claim would
	// run out is left to Expire, which polls it one last time: claimed
	// here, it would expire only when the claim ran out, up to
	// olderThan late.
	after := now.Add(-maxAge)
	if exp := e.expiry(backend); exp > 0 {
		if d := now.Add(olderThan - exp); d.After(after) {
			after = d
		}
	}
	waiting, err := sl.StalePayments(ctx, getpaid.StaleRequest{Now: now, UpdatedBefore: now.Add(-olderThan),
		CreatedAfter: after, Backend: backend, Limit: limit, Claim: olderThan})
	if err != nil {
		return 0, fmt.Errorf("engine: poll stale: %w", err)
	}
	ended, err := sl.StalePayments(ctx, getpaid.StaleRequest{Now: now, UpdatedAfter: now.Add(-maxAge),
		Backend: backend, Limit: limit, Claim: EndedPollEvery, Ended: true})
	if err != nil {
		return 0, fmt.Errorf("engine: poll ended: %w", err)
	}
	changed := 0
	for _, p := range append(waiting, ended...) {
		if ctx.Err() != nil {
			return changed, ctx.Err()
		}
		var q *getpaid.Payment
		if !e.survived(ctx, "polling payment "+p.ID, func() { q, err = e.Poll(ctx, p.ID) }, "payment", p.ID, "backend", p.Backend) {
			continue
		}
		if err != nil {
			if p.Status == getpaid.StatusCancelled {
				e.log.InfoContext(ctx, "a last look at an ended payment's broker failed", "payment", p.ID, "backend", p.Backend, "err", err)
				continue
			}
			e.log.WarnContext(ctx, "polling a waiting payment failed", "payment", p.ID, "backend", p.Backend, "err", err)
			continue
		}
		if q.Version != p.Version {
			changed++
		}
	}
	return changed, nil
}

// survived runs do, one item of Run's background work (a poll, an
// operation's check), and reports whether it returned: a panic in it (a
// broker's parser on a strange answer, a shop's own getpaid.Broker) is
// recovered and logged at ERROR with the item, where it came from and the
// stack, and nothing is recorded for the item: its claim runs out and it
// is tried again then. Not recovered, it ended the shop's process, every
// payment's processing with it, and after a restart the same item crashed
// it again. A panic is not made an error of the broker call: that could be
// read as "not done" and the money moved again.
func (e *Engine) survived(ctx context.Context, what string, do func(), args ...any) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			e.log.ErrorContext(ctx, fmt.Sprintf("%s panicked: %v%s; nothing recorded, tried again once its claim runs out; the engine carries on", what, r, panicSite()),
				append(args, "stack", string(debug.Stack()))...)
		}
	}()
	do()
	return true
}

// canPoll reports whether backend's broker answers status queries.
func (e *Engine) canPoll(backend string) bool {
	b, ok := e.reg.Get(backend)
	if !ok {
		return false
	}
	_, ok = b.Broker.(getpaid.StatusFetcher)
	return ok
}

// expiry is how long after its creation a payment of backend may wait for
// its broker before it expires; 0 or less means never.
func (e *Engine) expiry(backend string) time.Duration {
	if d, ok := e.expireBy[backend]; ok {
		return d
	}
	return e.expireAfter
}

// Expire ends up to limit payments per backend still waiting on their
// broker (prepared, charge_started) past the backend's deadline: each is
// polled one last time where the broker can be asked, and, if still
// waiting, moved to cancelled with the cause "expired" (its event goes out
// like any other). Money a buyer pays after that is still recorded. A
// payment holding an advance waits for an operator instead. It returns how
// many payments expired.
func (e *Engine) Expire(ctx context.Context, limit int) (int, error) {
	n := 0
	for _, b := range e.reg.All() {
		m, err := e.expire(ctx, b.Name, limit)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// expire is Expire for one backend's payments.
func (e *Engine) expire(ctx context.Context, backend string, limit int) (int, error) {
	sl, ok := e.store.(getpaid.StaleLister)
	if !ok {
		return 0, nil
	}
	after := e.expiry(backend)
	if after <= 0 {
		return 0, nil
	}
	n := 0
	now := e.now()
	ps, err := sl.StalePayments(ctx, getpaid.StaleRequest{Now: now, CreatedBefore: now.Add(-after), Backend: backend,
		Limit: limit, Claim: time.Minute})
	if err != nil {
		return n, fmt.Errorf("engine: expire: %w", err)
	}
	for _, p := range ps {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if p.Advance > 0 {
			continue
		}
		if e.canPoll(p.Backend) {
			if !e.survived(ctx, "the last poll before expiry of payment "+p.ID, func() { _, err = e.Poll(ctx, p.ID) }, "payment", p.ID, "backend", p.Backend) {
				continue
			}
			if err != nil {
				e.log.WarnContext(ctx, "last poll before expiry failed; expiring later", "payment", p.ID, "err", err)
				continue
			}
		}
		expired := &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "expired"}
		res, err := e.mutate(ctx, p.ID, getpaid.Mutation{Cause: "expired", Apply: func(q *getpaid.Payment) (bool, error) {
			if q.Advance > 0 || (q.Status != getpaid.StatusPrepared && q.Status != getpaid.StatusChargeStarted) {
				return false, nil // settled meanwhile
			}
			return getpaid.Apply(q, expired)
		}})
		if err != nil {
			e.log.WarnContext(ctx, "expiring a payment failed", "payment", p.ID, "err", err)
			continue
		}
		if res.Changed {
			n++
			e.log.InfoContext(ctx, "payment expired", "payment", p.ID, "backend", p.Backend, "created", p.CreatedAt)
		}
	}
	return n, nil
}

// Run is the engine's background work, at start and then every interval
// until ctx ends: it resolves money operations in doubt with their broker
// (looking for due ones every 5 s, or every interval if shorter, on a
// loop of its own, so that polling a slow broker's payments does not hold
// it up), expires payments waiting past their backend's deadline, and
// polls the brokers of the others that have waited more than two minutes
// for a notification (within three days of their creation), each
// backend's on a loop of its own. Event delivery runs on its own from
// New to Close. A broker's panic in one payment's poll or one operation's
// check is recovered and logged at ERROR, nothing recorded for it (tried
// again once its claim runs out); the others go on. An interval of 0 (or
// less) means 30 s. Run returns when ctx
// ends or the engine is closed (at once if it was closed before).
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	e.mu.Lock()
	if e.isClosed {
		e.mu.Unlock()
		return
	}
	e.runs.Add(1)
	e.mu.Unlock()
	defer e.runs.Done()
	var reconciling sync.WaitGroup
	defer reconciling.Wait() // after cancel, below
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.closedCtx, cancel)()
	if interval <= 0 {
		interval = 30 * time.Second
	}
	// Operations in doubt are due on their own schedule (the first 10 s
	// after the doubt): looked for more often than stale payments, which
	// wait minutes anyway, and by a loop of their own, so that a broker
	// that stopped answering (each poll of its waiting payments running
	// to its timeout, 100 of them a round) delays no check of another
	// broker's operation.
	reconciling.Add(1)
	go func() {
		defer reconciling.Done()
		rt := time.NewTicker(min(interval, reconcileEvery))
		defer rt.Stop()
		for {
			if _, err := e.Reconcile(ctx, 100); err != nil && ctx.Err() == nil {
				e.log.Warn("reconciling operations failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-rt.C:
			}
		}
	}()
	// Each backend's expiry and polling run on their own too: a broker
	// that stopped answering, each poll of its waiting payments running
	// to its timeout, delays no other broker's.
	var backends sync.WaitGroup
	for _, b := range e.reg.All() {
		backends.Add(1)
		go func() {
			defer backends.Done()
			e.background(ctx, b.Name, interval)
		}()
	}
	<-ctx.Done()
	backends.Wait()
}

// background is Run's expiry and polling of backend's payments, at once
// and then every interval until ctx ends.
func (e *Engine) background(ctx context.Context, backend string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// Expiry first: it polls a payment past its deadline one last
		// time itself, and polling and expiry share a payment's claim, so
		// polling first would take it every time its claim ran out and
		// put its expiry off until polling stops (three days).
		if _, err := e.expire(ctx, backend, 100); err != nil && ctx.Err() == nil {
			e.log.Warn("expiring payments failed", "backend", backend, "err", err)
		}
		if _, err := e.pollStale(ctx, backend, 2*time.Minute, PollWindow, 100); err != nil && ctx.Err() == nil {
			e.log.Warn("polling waiting payments failed", "backend", backend, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcileEvery is how often Run looks for operations due a check.
const reconcileEvery = 5 * time.Second

// fetchStatus asks the broker for p's status.
func (e *Engine) fetchStatus(ctx context.Context, b getpaid.Backend, f getpaid.StatusFetcher, p *getpaid.Payment) (*getpaid.Observation, error) {
	obs, err := call(e, ctx, b.Name, "fetch_status", func(ctx context.Context) (*getpaid.Observation, error) {
		return f.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
	})
	return answered(b.Name, "FetchStatus", obs, err)
}

// answered refuses a broker's answer of neither an observation nor an
// error (a fault of its backend: nothing new is an observation of
// getpaid.KindNone), which would otherwise be read as a fact, and crash the
// process that reads it in Run; obs and err as they are otherwise.
func answered(backend, method string, obs *getpaid.Observation, err error) (*getpaid.Observation, error) {
	if err == nil && obs == nil {
		return nil, fmt.Errorf("backend %q: %s answered neither an observation nor an error (a fault of the backend; nothing new is getpaid.KindNone)", backend, method)
	}
	return obs, err
}
