package sqlite

import (
	"slices"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// cache keeps recently written and read payments with their history in
// memory, so that reading a payment being paid (the API's GETs, twice per
// lifecycle) costs no query. The writer keeps it exact: after each commit,
// in commit order, every change replaces its entry when the entry was at the
// version the change started from, and drops it otherwise. Reads fill it
// only when no commit happened while they read the database (the generation
// did not move), so a stale row is never put back.
//
// It is only right while this Store is the one process writing the file:
// solo watches for another getpaid opening it, and the cache is off from the
// moment one did (or was there already). While off, it looks every recheck
// (5 s) whether every other Store has closed the file again (a getpaid
// tool run beside the server: events list, operations resolve); then it
// comes back empty, with the generation moved, so nothing read or cached
// before can answer for what the others wrote. A tool writing the file
// behind getpaid's back (the sqlite3 shell) is not seen by solo; the writer
// sees its commit at the start of its next batch (SQLite's data_version) and
// drops every entry (forget), so its next change of a payment starts from
// what the tool wrote (TestToolEditBesideLoneStore). Until then reads may
// answer from the cache: run such tools with getpaid stopped, or set
// Options.NoCache.
type cache struct {
	solo *solo

	mu  sync.Mutex
	off bool // another Store shares the file: not used until again
	// recheck is how often, while off, solo is asked whether this Store
	// is alone again; next is when it is asked next.
	recheck time.Duration
	next    time.Time
	max     int    // entries kept
	gen     uint64 // bumped by every commit
	m       map[string]*entry
	order   []string // insertion order, for eviction
}

type entry struct {
	p    *getpaid.Payment
	hist []getpaid.Transition
	// noOps: the payment has no money operations (it was created by this
	// Store and none was written since), so listing them needs no query.
	noOps bool
}

// newCache returns a cache of max entries guarded by s, or nil.
func newCache(max int, s *solo) *cache {
	if max <= 0 || s == nil {
		return nil
	}
	return &cache{solo: s, max: max, m: make(map[string]*entry, max), recheck: 5 * time.Second}
}

// usable reports whether the cache may answer: this process is the only
// one to have the file open, and nobody else opened it since the cache
// was last (re)started. c.mu is held.
func (c *cache) usable() bool {
	if c.off {
		return c.back()
	}
	if !c.solo.alone() {
		c.off, c.m, c.order = true, nil, nil
		c.next = time.Now().Add(c.recheck)
		return false
	}
	return true
}

// back turns an off cache on again, empty, when its Store is alone on the
// file once more; it asks at most once per recheck. c.mu is held.
func (c *cache) back() bool {
	now := time.Now()
	if now.Before(c.next) {
		return false
	}
	c.next = now.Add(c.recheck)
	if !c.solo.again() {
		return false
	}
	c.gen++ // a read that began while others wrote fills nothing
	c.off, c.m, c.order = false, make(map[string]*entry, c.max), nil
	return true
}

// alone reports whether this Store is still the only one using the file
// (false without a cache: nobody watches).
func (c *cache) alone() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usable()
}

// get returns copies of the cached payment and its history.
func (c *cache) get(id string) (*getpaid.Payment, []getpaid.Transition, bool) {
	e, ok := c.entry(id)
	if !ok {
		return nil, nil, false
	}
	return e.p.Clone(), slices.Clone(e.hist), true
}

// payment returns a copy of a cached payment.
func (c *cache) payment(id string) (*getpaid.Payment, bool) {
	e, ok := c.entry(id)
	if !ok {
		return nil, false
	}
	return e.p.Clone(), true
}

// view returns copies of a cached payment and its history when the cache
// knows it has no money operations: a whole view, in one look.
func (c *cache) view(id string) (*getpaid.Payment, []getpaid.Transition, bool) {
	e, ok := c.entry(id)
	if !ok || !e.noOps {
		return nil, nil, false
	}
	return e.p.Clone(), slices.Clone(e.hist), true
}

// entry returns a copy of id's entry while the cache may answer. An entry's
// payment and history are never changed in place (a change replaces the
// entry), so they may be copied after the lock is let go; only noOps
// changes in place, and the copy holds it as it was.
func (c *cache) entry(id string) (entry, bool) {
	if c == nil {
		return entry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.usable() {
		return entry{}, false
	}
	e, ok := c.m[id]
	if !ok {
		return entry{}, false
	}
	return *e, true
}

// generation is read before a database read that may fill the cache.
func (c *cache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// fill stores what a read found, unless a commit happened since gen.
func (c *cache) fill(gen uint64, p *getpaid.Payment, hist []getpaid.Transition) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// usable first: when it is the look that brings the cache back, it
	// moves the generation, and a read begun while others wrote (before
	// that) fills nothing.
	if !c.usable() || c.gen != gen {
		return
	}
	if _, ok := c.m[p.ID]; !ok {
		c.put(p, hist)
	}
}

// forget drops every entry: another connection has committed to the file
// unseen by the marker (a tool, the sqlite3 shell), so an entry may no longer
// be what the database holds. Reads fill it again; one that read before
// this does not (the generation moves).
func (c *cache) forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if !c.off {
		c.m, c.order = make(map[string]*entry, c.max), nil
	}
}

// committed runs the writer's post-commit updates under the lock.
func (c *cache) committed(apply func()) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if !c.off {
		apply()
	}
}

// put stores copies; c.mu is held.
func (c *cache) put(p *getpaid.Payment, hist []getpaid.Transition) {
	if _, ok := c.m[p.ID]; !ok {
		c.order = append(c.order, p.ID)
		for len(c.m) >= c.max && len(c.order) > 0 {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.m[p.ID] = &entry{p: p.Clone(), hist: slices.Clone(hist)}
	if len(c.order) > 4*c.max { // ids evicted or replaced pile up: compact
		live := c.order[:0]
		seen := make(map[string]bool, len(c.m))
		for _, id := range c.order {
			if _, ok := c.m[id]; ok && !seen[id] {
				seen[id] = true
				live = append(live, id)
			}
		}
		c.order = live
	}
}

// written records a committed change of a payment, or a new money
// operation of it; c.mu is held. A new payment (prev 0) is stored with its
// first history row; a change from version prev replaces an entry at prev
// and drops any other.
func (c *cache) written(res *getpaid.UpdateResult, prev int64) {
	p := res.Payment
	if prev == 0 {
		var hist []getpaid.Transition
		if res.Transition != nil {
			hist = []getpaid.Transition{*res.Transition}
		}
		c.put(p, hist)
		c.m[p.ID].noOps = !res.OperationNew
		return
	}
	e, ok := c.m[p.ID]
	if !ok {
		return
	}
	if !res.Changed { // only a new operation
		e.noOps = false
		return
	}
	if e.p.Version != prev {
		delete(c.m, p.ID)
		return
	}
	hist := e.hist
	if res.Transition != nil {
		hist = append(slices.Clone(hist), *res.Transition)
	}
	c.m[p.ID] = &entry{p: p.Clone(), hist: hist, noOps: e.noOps && !res.OperationNew}
}

// withoutOperations reports whether payment id is known to have no money
// operations.
func (c *cache) withoutOperations(id string) bool {
	e, ok := c.entry(id)
	return ok && e.noOps
}
