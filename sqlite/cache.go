package sqlite

import (
	"slices"
	"sync"

	"github.com/getpaid-go/getpaid"
)

// cache keeps recently written payments and their history in memory so that
// reads of a payment being paid (the API's GETs) cost no query. It is kept
// exact by the writer: after each commit, in commit order, every change
// either replaces its entry (when the entry was at the previous version) or
// drops it. Reads fill it only when no commit happened while they read the
// database (gen did not move), so a stale row can never be put back.
//
// This relies on the Store being the only writer of payments in its file;
// Options.NoCache turns the cache off for setups where another process
// writes them too.
type cache struct {
	mu    sync.Mutex
	max   int
	gen   uint64 // bumped under mu by every commit
	m     map[string]*entry
	order []string // insertion order, for eviction
}

type entry struct {
	p    *getpaid.Payment
	hist []getpaid.Transition
}

func newCache(max int) *cache {
	if max <= 0 {
		return nil
	}
	return &cache{max: max, m: make(map[string]*entry, max)}
}

// get returns copies of the cached payment and its history.
func (c *cache) get(id string) (*getpaid.Payment, []getpaid.Transition, bool) {
	if c == nil {
		return nil, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok {
		return nil, nil, false
	}
	return e.p.Clone(), slices.Clone(e.hist), true
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
	if c.gen != gen {
		return
	}
	if _, ok := c.m[p.ID]; !ok {
		c.put(p, hist)
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
	apply()
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

// created records a committed new payment; c.mu is held.
func (c *cache) created(p *getpaid.Payment, hist []getpaid.Transition) { c.put(p, hist) }

// updated records a committed change of a payment from version prev; c.mu is
// held. Without an entry at prev, the entry is dropped.
func (c *cache) updated(p *getpaid.Payment, prev int64, row *getpaid.Transition) {
	e, ok := c.m[p.ID]
	if !ok {
		return
	}
	if e.p.Version != prev {
		delete(c.m, p.ID)
		return
	}
	hist := e.hist
	if row != nil {
		hist = append(slices.Clone(hist), *row)
	}
	c.m[p.ID] = &entry{p: p.Clone(), hist: hist}
}
