package edge

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
)

// Errors of Limiter.Read.
var (
	// ErrTooLarge: the body is longer than the cap of its route (declared
	// or found while reading).
	ErrTooLarge = errors.New("request body too large")
	// ErrBusy: the byte budget, the sender's address's share of it
	// (ReadFrom) or the read slots are used up by other requests; the
	// client should retry shortly.
	ErrBusy = errors.New("too many request bodies being read")
)

// Defaults of LimiterConfig.
const (
	DefaultBudget = 32 << 20 // bytes of all bodies held at once
	DefaultSlots  = 64       // concurrent reads of bodies larger than Free
	DefaultFree   = 8 << 10  // a body up to this size needs no slot
	// DefaultFormBytes caps a form posted to a page: tens of fields with a
	// description and a few URLs, percent-encoded.
	DefaultFormBytes = 32 << 10
	initialChunk     = 1 << 10  // first buffer of a body of unknown length
	defaultMaxLength = 64 << 10 // Read's cap when the caller gives none
)

// LimiterConfig configures a Limiter; zero fields take the defaults.
type LimiterConfig struct {
	// Budget bounds the bytes of all request bodies held in memory at once,
	// whoever sent them: a read that would go over it fails with ErrBusy.
	Budget int64
	// Slots bounds how many bodies larger than Free are being read at once;
	// a slot is held only while such a body is read.
	Slots int
	// Free is the size up to which a body is read without a slot (most
	// broker notifications and forms fit), so slow senders of large bodies
	// cannot keep small legitimate ones waiting.
	Free int64
	// PerAddress bounds the bytes the bodies of one client address (an
	// IPv6 /64, as Key counts) hold at once in ReadFrom (default an eighth
	// of Budget), so slow senders of small bodies, which need no slot,
	// cannot take the whole budget from one address.
	PerAddress int64
}

// Limiter reads request bodies into memory within bounds, for endpoints that
// must read a body before they can tell who sent it (broker callbacks, forms).
// It is safe for concurrent use.
type Limiter struct {
	free  int64
	slots chan struct{}

	mu      sync.Mutex
	budget  int64
	used    int64
	perAddr int64
	byAddr  map[netip.Prefix]int64 // only addresses holding bytes now
}

// NewLimiter returns a Limiter for cfg.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.Slots <= 0 {
		cfg.Slots = DefaultSlots
	}
	if cfg.Free <= 0 {
		cfg.Free = DefaultFree
	}
	if cfg.PerAddress <= 0 {
		cfg.PerAddress = max(cfg.Budget/8, 1)
	}
	return &Limiter{free: cfg.Free, slots: make(chan struct{}, cfg.Slots), budget: cfg.Budget,
		perAddr: cfg.PerAddress, byAddr: map[netip.Prefix]int64{}}
}

// InUse returns the bytes of bodies currently held (read or being read).
func (l *Limiter) InUse() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}

func (l *Limiter) reserve(a *netip.Prefix, n int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used+n > l.budget || a != nil && l.byAddr[*a]+n > l.perAddr {
		return false
	}
	l.used += n
	if a != nil {
		l.byAddr[*a] += n
	}
	return true
}

func (l *Limiter) give(a *netip.Prefix, n int64) {
	l.mu.Lock()
	l.used -= n
	if a != nil {
		if l.byAddr[*a] -= n; l.byAddr[*a] <= 0 {
			delete(l.byAddr, *a)
		}
	}
	l.mu.Unlock()
}

// Body is a request body read into memory. Release returns its bytes to the
// budget once nothing refers to them any more.
type Body struct {
	Bytes []byte
	l     *Limiter
	held  int64
	addr  *netip.Prefix // whose share the bytes count in (nil: none)
}

// Release gives the body's bytes back to the limiter's budget. It may be
// called more than once.
func (b *Body) Release() {
	if b == nil || b.l == nil {
		return
	}
	b.l.give(b.addr, b.held)
	b.l, b.held, b.Bytes = nil, 0, nil
}

// Read reads body completely, refusing it with ErrTooLarge when it is longer
// than max (at once when contentLength, -1 for unknown, already says so) and
// with ErrBusy when the budget or the slots are used up. A body grows its
// buffer (and its share of the budget) only as its bytes arrive, so a slow
// sender holds little. Other errors are the reader's (a client that hung up
// or a read deadline). The caller must Release the Body.
func (l *Limiter) Read(body io.Reader, contentLength, max int64) (*Body, error) {
	return l.read(nil, body, contentLength, max)
}

// ReadFrom is Read for a body sent by the client at ip: beside the budget
// and the slots, the bodies of ip's address (Key) together hold at most
// PerAddress bytes; beyond that, ErrBusy. A loopback ip counts in the
// budget only: it is a proxy on the same machine that nobody listed as
// trusted, every client behind it sharing its address (LimitListener
// spares loopback peers too).
func (l *Limiter) ReadFrom(ip string, body io.Reader, contentLength, max int64) (*Body, error) {
	// Of the address itself: the /64 Key counts ::1 in is ::/64, whose
	// first address is not loopback.
	if a, err := netip.ParseAddr(ip); err == nil && a.Unmap().IsLoopback() {
		return l.read(nil, body, contentLength, max)
	}
	a := Key(ip)
	return l.read(&a, body, contentLength, max)
}

func (l *Limiter) read(addr *netip.Prefix, body io.Reader, contentLength, max int64) (*Body, error) {
	if max <= 0 {
		max = defaultMaxLength
	}
	if contentLength > max {
		return nil, fmt.Errorf("%w: %d bytes declared, at most %d accepted", ErrTooLarge, contentLength, max)
	}
	b := &Body{l: l, addr: addr}
	slot := false
	defer func() {
		if slot {
			<-l.slots
		}
	}()
	grow := func(size int64) error { // to a buffer of size bytes
		if size > l.free && !slot {
			select {
			case l.slots <- struct{}{}:
				slot = true
			default:
				return ErrBusy
			}
		}
		if !l.reserve(b.addr, size-b.held) {
			return ErrBusy
		}
		b.held = size
		buf := make([]byte, len(b.Bytes), size)
		copy(buf, b.Bytes)
		b.Bytes = buf
		return nil
	}
	size := min(max, initialChunk)
	if contentLength >= 0 {
		size = contentLength
	}
	if err := grow(size); err != nil {
		b.Release()
		return nil, err
	}
	for {
		if len(b.Bytes) == cap(b.Bytes) {
			if contentLength >= 0 || int64(cap(b.Bytes)) >= max {
				var one [1]byte
				n, err := io.ReadFull(body, one[:])
				if n > 0 {
					read := cap(b.Bytes) // before Release drops the buffer
					b.Release()
					return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, read)
				}
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return b, nil
				}
				b.Release()
				return nil, err
			}
			if err := grow(min(max, 2*int64(cap(b.Bytes)))); err != nil {
				b.Release()
				return nil, err
			}
		}
		n, err := body.Read(b.Bytes[len(b.Bytes):cap(b.Bytes)])
		b.Bytes = b.Bytes[:len(b.Bytes)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			b.Release()
			return nil, err
		}
	}
}
