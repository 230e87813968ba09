package edge_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/edge"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestFailures(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	f := edge.NewFailures(edge.FailuresConfig{Limit: 3, Window: time.Minute, Now: c.now})
	var strikes []edge.Strike
	for range 3 {
		strikes = append(strikes, f.Fail("203.0.113.7"))
	}
	if !strikes[0].Log || strikes[1].Log || !strikes[2].Log || !strikes[2].Over || strikes[1].Over {
		t.Fatalf("strikes %+v: want the first and the limit-reaching one logged", strikes)
	}
	if blocked, until := f.Blocked("203.0.113.7"); !blocked || until != time.Minute {
		t.Fatalf("blocked %v for %v, want true for 1m", blocked, until)
	}
	if blocked, _ := f.Blocked("::ffff:203.0.113.7"); !blocked {
		t.Fatal("the IPv4-mapped form of a blocked address is not blocked")
	}
	if blocked, _ := f.Blocked("203.0.113.8"); blocked {
		t.Fatal("another address is blocked")
	}
	c.add(59 * time.Second)
	if blocked, until := f.Blocked("203.0.113.7"); !blocked || until != time.Second {
		t.Fatalf("near the window's end: blocked %v for %v", blocked, until)
	}
	c.add(time.Second)
	if blocked, _ := f.Blocked("203.0.113.7"); blocked {
		t.Fatal("still blocked in the next window")
	}
	if s := f.Fail("203.0.113.7"); s.Count != 1 || !s.Log {
		t.Fatalf("first failure of a new window: %+v", s)
	}
}

func TestFailuresIPv6CountsPer64(t *testing.T) {
	t.Parallel()
	f := edge.NewFailures(edge.FailuresConfig{Limit: 2})
	f.Fail("2001:db8:1:2::1")
	f.Fail("2001:db8:1:2:ffff::9")
	if blocked, _ := f.Blocked("2001:db8:1:2::77"); !blocked {
		t.Fatal("addresses of one /64 are not counted together")
	}
	if blocked, _ := f.Blocked("2001:db8:1:3::1"); blocked {
		t.Fatal("another /64 is blocked")
	}
	if got := edge.Key("fe80::1%eth0"); got != netip.MustParsePrefix("fe80::/64") {
		t.Fatalf("zoned address key %v", got)
	}
}

func TestFailuresBoundedMemoryAndLogs(t *testing.T) {
	t.Parallel()
	f := edge.NewFailures(edge.FailuresConfig{Limit: 5, MaxKeys: 100})
	logged, muted := 0, 0
	for i := range 1000 {
		s := f.Fail(fmt.Sprintf("198.51.%d.%d", i/256, i%256))
		if s.Log {
			logged++
		}
		if s.Muted {
			muted++
		}
	}
	if logged != 20 || muted != 1 {
		t.Fatalf("1000 addresses failing once: %d lines logged, %d muted notes; want 20 and 1", logged, muted)
	}
	// Untracked addresses are never refused: an attacker filling the table
	// cannot lock others out.
	for range 10 {
		f.Fail("192.0.2.200")
	}
	if blocked, _ := f.Blocked("192.0.2.200"); blocked {
		t.Fatal("an untracked address was blocked")
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	g := edge.NewGate(time.Minute, c.now)
	if ok, missed := g.Allow(); !ok || missed != 0 {
		t.Fatalf("first event: %v %d", ok, missed)
	}
	for range 9 {
		if ok, _ := g.Allow(); ok {
			t.Fatal("a second event in the window was let through")
		}
	}
	c.add(time.Minute)
	if ok, missed := g.Allow(); !ok || missed != 9 {
		t.Fatalf("next window: %v, missed %d, want true and 9", ok, missed)
	}
}
