package engine

import (
	"context"
	"time"

	"github.com/getpaid-go/getpaid"
)

// dispatch hands committed outbox events to the listeners. Events every
// listener accepted are marked delivered in batches; the rest stay pending
// for Redeliver.
func (e *Engine) dispatch(ctx context.Context, events []getpaid.Event) {
	for _, ev := range events {
		if e.deliver(ctx, ev) {
			e.ack(ev.ID)
		}
	}
}

func (e *Engine) deliver(ctx context.Context, ev getpaid.Event) (ok bool) {
	e.mu.RLock()
	ls := e.listen
	e.mu.RUnlock()
	ok = true
	for _, l := range ls {
		if err := callListener(ctx, l, ev); err != nil {
			e.log.WarnContext(ctx, "event listener failed; will retry", "event", ev.ID, "type", ev.Type, "payment", ev.PaymentID, "err", err)
			ok = false
		}
	}
	return ok
}

// callListener runs one listener, turning a panic into an error so a buggy
// listener cannot take the callback handler down with it.
func callListener(ctx context.Context, l Listener, ev getpaid.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{r}
		}
	}()
	return l(ctx, ev)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "listener panicked" }

// ack queues a delivery record. After Close the event simply stays pending
// and is redelivered by the next Run.
func (e *Engine) ack(id string) {
	e.ackMu.RLock()
	defer e.ackMu.RUnlock()
	if e.ackClosed {
		return
	}
	e.acks <- id
}

// ackLoop records deliveries in batches so that acknowledging an event costs
// no commit of its own.
func (e *Engine) ackLoop() {
	defer close(e.ackDone)
	const maxBatch = 256
	batch := make([]string, 0, maxBatch)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := e.store.MarkDelivered(ctx, batch); err != nil {
			e.log.Warn("marking events delivered failed; they will be redelivered", "n", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	for {
		select {
		case id, ok := <-e.acks:
			if !ok {
				flush()
				return
			}
			batch = append(batch, id)
			if len(batch) == maxBatch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// Redeliver delivers outbox events still pending after olderThan: those whose
// listener failed, or whose process died between commit and delivery. Run it
// at start and periodically (Run does).
func (e *Engine) Redeliver(ctx context.Context, olderThan time.Duration) (int, error) {
	const page = 100
	n, after := 0, ""
	for {
		evs, err := e.store.PendingEvents(ctx, after, page)
		if err != nil {
			return n, err
		}
		var ids []string
		for _, ev := range evs {
			if time.Since(ev.At) < olderThan {
				continue // too fresh: its own dispatch may still be running
			}
			if e.deliver(ctx, ev) {
				ids = append(ids, ev.ID)
			}
		}
		if len(ids) > 0 {
			if err := e.store.MarkDelivered(ctx, ids); err != nil {
				return n, err
			}
			n += len(ids)
		}
		if len(evs) < page || ctx.Err() != nil {
			return n, ctx.Err()
		}
		after = evs[len(evs)-1].ID // page past events that could not be delivered
	}
}

// Run is the engine's background work, at start and then every interval
// until ctx ends: it redelivers pending events and polls the brokers of
// payments that have waited more than two minutes for a notification (within
// three days of their creation).
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.Redeliver(ctx, 10*time.Second); err != nil && ctx.Err() == nil {
			e.log.Warn("redelivering events failed", "err", err)
		}
		if _, err := e.PollStale(ctx, 2*time.Minute, 72*time.Hour, 100); err != nil && ctx.Err() == nil {
			e.log.Warn("polling waiting payments failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
