package engine

import (
	"context"
	"log/slog"
	"sync"
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
func (e *Engine) ack(id string) { e.acks.add(id) }

// markDelivered records a batch of deliveries.
func (e *Engine) markDelivered(ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.store.MarkDelivered(ctx, ids); err != nil {
		e.log.Warn("marking events delivered failed; they will be redelivered", "n", len(ids), "err", err)
	}
}

// ackQueue records deliveries in batches, so that acknowledging an event
// costs no commit of its own. Adding never blocks: ids go to a slice under a
// short lock, and one goroutine flushes them.
type ackQueue struct {
	flush func([]string)
	mu    sync.Mutex
	ids   []string
	shut  bool
	wake  chan struct{} // buffered 1: a pending flush
	done  chan struct{}
}

func newAckQueue(flush func([]string), _ *slog.Logger) *ackQueue {
	q := &ackQueue{flush: flush, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.loop()
	return q
}

// add queues id; after close it is dropped (the event stays pending).
func (q *ackQueue) add(id string) {
	q.mu.Lock()
	if q.shut {
		q.mu.Unlock()
		return
	}
	q.ids = append(q.ids, id)
	full := len(q.ids) >= 256
	q.mu.Unlock()
	if full {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// take removes and returns what is queued.
func (q *ackQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := q.ids
	q.ids = nil
	return ids
}

func (q *ackQueue) loop() {
	defer close(q.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-q.wake:
		case <-tick.C:
		}
		q.mu.Lock()
		shut := q.shut
		q.mu.Unlock()
		if ids := q.take(); len(ids) > 0 {
			q.flush(ids)
		}
		if shut {
			return
		}
	}
}

// close flushes what is queued and stops the loop.
func (q *ackQueue) close() {
	q.mu.Lock()
	q.shut = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
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
