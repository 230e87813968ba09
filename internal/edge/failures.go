package edge

import (
	"net/netip"
	"sync"
	"time"
)

// Failures counts failures (a wrong API key, a refused callback) per client
// address in fixed windows, so an address that fails too often can be
// refused cheaply until its window ends, and a flood is logged once per
// window instead of once per request. IPv6 addresses are counted per /64, the
// block one subscriber usually holds. Memory is bounded: past MaxKeys
// addresses in one window, new addresses are not tracked (not refused), only
// counted together. It is safe for concurrent use.
type Failures struct {
	limit   int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu       sync.Mutex
	start    time.Time // of the current window
	counts   map[netip.Prefix]int
	untraced int // failures of addresses not tracked this window
	logs     int // lines allowed to be logged this window
}

// maxLogs bounds the lines Fail allows to be logged per window, however
// many addresses fail.
const maxLogs = 20

// FailuresConfig configures Failures; zero fields take the defaults.
type FailuresConfig struct {
	Limit   int           // failures per address per window before it is refused (default 20)
	Window  time.Duration // default one minute
	MaxKeys int           // addresses tracked per window (default 10,000)
	Now     func() time.Time
}

// NewFailures returns a Failures for cfg.
func NewFailures(cfg FailuresConfig) *Failures {
	if cfg.Limit <= 0 {
		cfg.Limit = 20
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Failures{limit: cfg.Limit, window: cfg.Window, maxKeys: cfg.MaxKeys, now: cfg.Now, counts: map[netip.Prefix]int{}}
}

// Key is the block an address is counted in: the address itself for IPv4,
// its /64 for IPv6. An unparsable address is the zero prefix (one shared
// count).
func Key(ip string) netip.Prefix {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// roll starts a new window when the current one is over. f.mu is held.
func (f *Failures) roll(now time.Time) {
	if now.Sub(f.start) >= f.window || now.Before(f.start) {
		f.start = now.Truncate(f.window)
		clear(f.counts)
		f.untraced, f.logs = 0, 0
	}
}

// Blocked reports whether ip has failed Limit times in the current window,
// and how long until the window ends.
func (f *Failures) Blocked(ip string) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.roll(now)
	if f.counts[Key(ip)] < f.limit {
		return false, 0
	}
	return true, f.start.Add(f.window).Sub(now)
}

// Strike is what Fail tells about one failure.
type Strike struct {
	Count int  // failures of the address in this window, this one included (0 when untracked)
	Over  bool // this failure reached the limit: the address is refused until the window ends
	// Log: log this failure. True for an address's first failure in a
	// window and for the one that reaches the limit, as long as the
	// window's line budget lasts.
	Log bool
	// Muted: the window's line budget just ran out; say that further
	// failures are not logged until the window ends.
	Muted bool
	Until time.Duration // how long the window still runs
}

// Fail records one failure of ip.
func (f *Failures) Fail(ip string) Strike {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.roll(now)
	until := f.start.Add(f.window).Sub(now)
	k := Key(ip)
	n, ok := f.counts[k]
	s := Strike{Until: until}
	if !ok && len(f.counts) >= f.maxKeys {
		f.untraced++
		if f.untraced == 1 {
			s.Log, s.Muted = f.lineLocked()
		}
		return s
	}
	n++
	f.counts[k] = n
	s.Count, s.Over = n, n == f.limit
	if n == 1 || s.Over {
		s.Log, s.Muted = f.lineLocked()
	}
	return s
}

// lineLocked spends one line of the window's log budget.
func (f *Failures) lineLocked() (log, muted bool) {
	f.logs++
	return f.logs <= maxLogs, f.logs == maxLogs+1
}

// Gate lets one event per window through (to be logged) and counts the rest,
// for floods that have no address to blame (the server is busy).
type Gate struct {
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	start  time.Time
	count  int // events in the current window
	missed int // events of the last window that were not let through
}

// NewGate returns a Gate for window (default one minute); now may be nil.
func NewGate(window time.Duration, now func() time.Time) *Gate {
	if window <= 0 {
		window = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &Gate{window: window, now: now}
}

// Allow records one event. It reports whether this event is the first of
// its window, and then how many events of the last window that had any were
// not let through.
func (g *Gate) Allow() (ok bool, missedBefore int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Sub(g.start) >= g.window || now.Before(g.start) {
		g.missed = max(0, g.count-1) // of the last window that had events
		g.start, g.count = now.Truncate(g.window), 0
	}
	g.count++
	if g.count == 1 {
		return true, g.missed
	}
	return false, 0
}
