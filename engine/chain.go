package engine

import (
	"time"

	"github.com/getpaid-go/getpaid"
)

// A change's deliveries are leased to the dispatcher in the change's own
// transaction (getpaid.Mutation.Lease) and attempted as soon as it is
// committed: no claim, a write and a query of the store less per event, and
// no wait for the claim loop. The store leases one only when every earlier
// pending delivery of its payment to its consumer is leased to this
// dispatcher too: those are here, queued or in flight, so the dispatcher
// keeps their order itself, one chain per payment and consumer, one attempt
// of a chain at a time. A chain whose attempt fails gives the rest back to
// the store (getpaid.DeliveryResult.Release), which holds them behind the
// failed one until it is delivered, as for every delivery claimed.

// chainKey names one payment's deliveries to one consumer.
type chainKey struct{ consumer, payment string }

// chain is what the dispatcher holds of one chainKey's deliveries.
type chain struct {
	running bool     // one of them is being attempted
	blocked bool     // one failed and stays pending: the others go back
	queue   []leased // leased, waiting for the running one
	open    int      // taken and not yet recorded
	last    string   // the delivery taken last
}

// leased is a delivery the dispatcher holds the lease of, until until.
type leased struct {
	c     getpaid.ClaimedDelivery
	until time.Time
}

// leaseTime is how long the dispatcher's leases run: past an attempt
// (bounded by the timeout) and the recording of its outcome. A crashed
// owner's run out soon after.
func (d *dispatcher) leaseTime() time.Duration { return d.timeout + 5*time.Second }

// lease is the lease a change asks for its deliveries, nil while the
// dispatcher is not running (they are claimed when it is).
func (d *dispatcher) lease() *getpaid.DeliveryLease {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running {
		return nil
	}
	now := d.e.now()
	return &getpaid.DeliveryLease{Owner: d.owner, Now: now, Until: now.Add(d.leaseTime())}
}

// take starts deliveries leased to the dispatcher (claimed, or leased with
// their change), in their payment's order: each is attempted now, queued
// behind the one of its chain in flight, or given back. Once the dispatcher
// stops, deliveries leased with a change are left to their lease.
func (d *dispatcher) take(cs []getpaid.ClaimedDelivery, until time.Time) {
	if len(cs) == 0 {
		return
	}
	type start struct {
		cons Consumer
		c    getpaid.ClaimedDelivery
	}
	var starts []start
	var back []getpaid.DeliveryResult
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		return
	}
	for _, c := range cs {
		id := c.Delivery.ID
		if _, again := d.unrecorded[id]; again {
			continue // its attempt is in flight or being recorded
		}
		k := chainKey{c.Delivery.Consumer, c.Delivery.PaymentID}
		d.unrecorded[id] = k
		ch := d.chains[k]
		if ch == nil {
			ch = &chain{}
			d.chains[k] = ch
		}
		ch.open++
		// One leased with its change comes after the delivery its store
		// named, which must be the one this chain took last: when it is
		// not (changes committed one after the other got here the other
		// way round), the store orders them.
		inOrder := c.After == "" || c.After == ch.last
		ch.last = id
		l := leased{c: c, until: until}
		var cons Consumer
		if inOrder {
			cons = d.startLocked(ch, l)
		}
		switch {
		case cons != nil:
			starts = append(starts, start{cons, c})
		case inOrder && ch.running && !ch.blocked:
			ch.queue = append(ch.queue, l)
		default:
			ch.blocked = true // and the rest of the chain goes back behind it
			back = append(back, d.release(id))
		}
	}
	if len(back) > 0 {
		d.flight.Add(1) // the recorder stops after these are in
	}
	d.mu.Unlock()
	for _, s := range starts {
		go d.deliver(s.cons, s.c)
	}
	if len(back) > 0 {
		for _, r := range back {
			d.results <- r
		}
		d.flight.Done()
	}
}

// startLocked marks l's attempt started and returns its consumer when ch
// runs nothing, is not blocked, and l can start: its consumer is still
// configured, has room and is not paused, and its lease outlasts an
// attempt. Otherwise it returns nil and starts nothing.
func (d *dispatcher) startLocked(ch *chain, l leased) Consumer {
	if ch.running || ch.blocked || !d.running {
		return nil
	}
	name := l.c.Delivery.Consumer
	if d.busy[name] >= d.perConsumer || d.pausedLocked(name) || (d.probingLocked(name) && d.busy[name] > 0) ||
		l.until.Sub(d.e.now()) < d.timeout+time.Second {
		return nil
	}
	cons := d.e.consumer(name)
	if cons == nil {
		return nil // removed from the configuration meanwhile
	}
	ch.running = true
	d.busy[name]++
	d.flight.Add(1)
	return cons
}

// release is the result giving back the lease of delivery id unattempted.
func (d *dispatcher) release(id string) getpaid.DeliveryResult {
	return getpaid.DeliveryResult{ID: id, Owner: d.owner, Release: true}
}

// next follows the attempt at del, which settled it (delivered or dead) or
// not: the next of its chain starts when it did, and the chain's queue goes
// back to the store when it did not (or when the next cannot start). It
// runs in del's attempt's goroutine, counted in flight, before del's result
// is sent: the chain is still open.
func (d *dispatcher) next(del getpaid.Delivery, settled bool) {
	type start struct {
		cons Consumer
		c    getpaid.ClaimedDelivery
	}
	var s *start
	var back []getpaid.DeliveryResult
	d.mu.Lock()
	if ch := d.chains[chainKey{del.Consumer, del.PaymentID}]; ch != nil {
		ch.running = false
		if !settled {
			ch.blocked = true
		}
		for len(ch.queue) > 0 && s == nil {
			l := ch.queue[0]
			ch.queue = ch.queue[1:]
			if cons := d.startLocked(ch, l); cons != nil {
				s = &start{cons, l.c}
				continue
			}
			ch.blocked = true
			back = append(back, d.release(l.c.Delivery.ID))
		}
	}
	d.mu.Unlock()
	for _, r := range back {
		d.results <- r
	}
	if s != nil {
		go d.deliver(s.cons, s.c)
	}
}

// recordedLocked forgets delivery id, whose result is recorded.
func (d *dispatcher) recordedLocked(id string) {
	k, ok := d.unrecorded[id]
	if !ok {
		return
	}
	delete(d.unrecorded, id)
	if ch := d.chains[k]; ch != nil {
		if ch.open--; ch.open <= 0 {
			delete(d.chains, k)
		}
	}
}
