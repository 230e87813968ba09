package edge_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// trickle yields its data a few bytes at a time, like a slow sender.
type trickle struct {
	data []byte
	step int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), t.step, len(t.data))
	copy(p, t.data[:n])
	t.data = t.data[n:]
	return n, nil
}

func TestLimiterRead(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 100<<10)
	tests := []struct {
		name    string
		body    io.Reader
		cl, max int64
		want    int
		err     error
		msg     string // in the error, if set
	}{
		{"declared length within the cap", bytes.NewReader(big[:4000]), 4000, 4096, 4000, nil, ""},
		{"declared length over the cap is refused before reading", &trickle{data: big, step: 1}, int64(len(big)), 4096, 0, edge.ErrTooLarge, ""},
		{"unknown length within the cap", &trickle{data: big[:3000], step: 7}, -1, 4096, 3000, nil, ""},
		{"unknown length exactly the cap", &trickle{data: big[:4096], step: 100}, -1, 4096, 4096, nil, ""},
		{"unknown length one byte over the cap", &trickle{data: big[:4097], step: 100}, -1, 4096, 0, edge.ErrTooLarge, "more than 4096 bytes"},
		{"unknown length far over the cap", bytes.NewReader(big), -1, 64 << 10, 0, edge.ErrTooLarge, ""},
		{"empty body", bytes.NewReader(nil), 0, 4096, 0, nil, ""},
		{"empty body of unknown length", bytes.NewReader(nil), -1, 4096, 0, nil, ""},
		{"a body larger than the free size takes a slot", bytes.NewReader(big[:20000]), -1, 64 << 10, 20000, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := edge.NewLimiter(edge.LimiterConfig{})
			b, err := l.Read(tt.body, tt.cl, tt.max)
			if !errors.Is(err, tt.err) || err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %v saying %q", err, tt.err, tt.msg)
			}
			if err != nil {
				if l.InUse() != 0 {
					t.Fatalf("a refused read holds %d bytes of the budget", l.InUse())
				}
				return
			}
			if len(b.Bytes) != tt.want || !bytes.Equal(b.Bytes, big[:tt.want]) {
				t.Fatalf("read %d bytes, want %d", len(b.Bytes), tt.want)
			}
			if l.InUse() < int64(tt.want) {
				t.Fatalf("budget holds %d for a body of %d", l.InUse(), tt.want)
			}
			b.Release()
			b.Release()
			if l.InUse() != 0 {
				t.Fatalf("released body still holds %d", l.InUse())
			}
		})
	}
}

// blocked is a body whose sender has sent first and then stalls until
// release is closed.
type blocked struct {
	first   []byte
	release chan struct{}
}

func (b *blocked) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.release
	return 0, io.EOF
}

func TestLimiterBounds(t *testing.T) {
	t.Parallel()
	t.Run("slots bound concurrent large reads; small ones need none", func(t *testing.T) {
		t.Parallel()
		l := edge.NewLimiter(edge.LimiterConfig{Slots: 2, Free: 1024})
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 { // two slow senders of large declared bodies hold both slots
			wg.Add(1)
			go func() {
				defer wg.Done()
				if b, err := l.Read(&blocked{release: release}, 10_000, 64<<10); err == nil {
					b.Release()
				}
			}()
		}
		waitFor(t, func() bool { return l.InUse() == 20_000 })
		if _, err := l.Read(strings.NewReader(strings.Repeat("y", 5000)), 5000, 64<<10); !errors.Is(err, edge.ErrBusy) {
			t.Fatalf("third large read: %v, want ErrBusy", err)
		}
		if _, err := l.Read(strings.NewReader(strings.Repeat("y", 5000)), -1, 64<<10); !errors.Is(err, edge.ErrBusy) {
			t.Fatalf("third large read of unknown length: %v, want ErrBusy", err)
		}
		b, err := l.Read(strings.NewReader("small"), -1, 64<<10)
		if err != nil || string(b.Bytes) != "small" {
			t.Fatalf("a small body while slots are taken: %v", err)
		}
		b.Release()
		close(release)
		wg.Wait()
		if l.InUse() != 0 {
			t.Fatalf("budget holds %d after all reads", l.InUse())
		}
	})
	t.Run("the budget bounds all bodies held together", func(t *testing.T) {
		t.Parallel()
		l := edge.NewLimiter(edge.LimiterConfig{Budget: 10_000, Free: 8192})
		a, err := l.Read(strings.NewReader(strings.Repeat("a", 6000)), 6000, 8192)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Read(strings.NewReader(strings.Repeat("b", 6000)), 6000, 8192); !errors.Is(err, edge.ErrBusy) {
			t.Fatalf("over budget: %v, want ErrBusy", err)
		}
		a.Release()
		b, err := l.Read(strings.NewReader(strings.Repeat("b", 6000)), 6000, 8192)
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		b.Release()
	})
	t.Run("one address holds at most its share of the budget", func(t *testing.T) {
		t.Parallel()
		l := edge.NewLimiter(edge.LimiterConfig{Budget: 40_000, PerAddress: 10_000, Free: 8192})
		read := func(ip string) (*edge.Body, error) {
			return l.ReadFrom(ip, strings.NewReader(strings.Repeat("a", 4000)), 4000, 8192)
		}
		var held []*edge.Body
		for _, ip := range []string{"203.0.113.9", "203.0.113.9", "2001:db8::1", "2001:db8::2"} {
			b, err := read(ip)
			if err != nil {
				t.Fatalf("%s within its share: %v", ip, err)
			}
			held = append(held, b)
		}
		for _, ip := range []string{"203.0.113.9", "2001:db8::ffff"} { // the /64 of 2001:db8::1 and ::2
			if _, err := read(ip); !errors.Is(err, edge.ErrBusy) {
				t.Fatalf("%s past its share: %v, want ErrBusy", ip, err)
			}
		}
		b, err := read("198.51.100.7")
		if err != nil {
			t.Fatalf("another address while two hold their shares: %v", err)
		}
		b.Release()
		held[0].Release()
		if b, err = read("203.0.113.9"); err != nil {
			t.Fatalf("after a release: %v", err)
		}
		b.Release()
		for _, b := range held {
			b.Release()
		}
		if l.InUse() != 0 {
			t.Fatalf("budget holds %d after all reads", l.InUse())
		}
		// Read counts in no address's share.
		for range 3 {
			if _, err := l.Read(strings.NewReader(strings.Repeat("a", 4000)), 4000, 8192); err != nil {
				t.Fatalf("Read: %v", err)
			}
		}
	})
	t.Run("a loopback address has no share", func(t *testing.T) {
		t.Parallel()
		// A proxy on the same machine, IPv4 or IPv6 (nginx's
		// proxy_pass http://localhost:8000 may connect over ::1): every
		// client behind it has its address, so it counts in the budget only.
		for _, ip := range []string{"127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"} {
			l := edge.NewLimiter(edge.LimiterConfig{Budget: 40_000, PerAddress: 10_000, Free: 8192})
			for i := range 5 { // 20,000 bytes: twice the share
				if _, err := l.ReadFrom(ip, strings.NewReader(strings.Repeat("a", 4000)), 4000, 8192); err != nil {
					t.Fatalf("%s: body %d: %v; want it read within the budget", ip, i, err)
				}
			}
		}
	})
	t.Run("a slow sender holds only what it sent", func(t *testing.T) {
		t.Parallel()
		l := edge.NewLimiter(edge.LimiterConfig{})
		release := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			if b, err := l.Read(&blocked{first: []byte("abc"), release: release}, -1, 64<<10); err == nil {
				b.Release()
			}
		}()
		waitFor(t, func() bool { return l.InUse() > 0 })
		if got := l.InUse(); got > 1024 {
			t.Fatalf("a sender of 3 bytes holds %d bytes of the budget", got)
		}
		close(release)
		<-done
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
