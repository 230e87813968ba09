package simkit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver answers notifications with answers[i] for the i-th one it gets
// (the last answer after they run out) and records their bodies.
type receiver struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	answers []int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.bodies)
	rc.bodies = append(rc.bodies, string(body))
	rc.headers = append(rc.headers, r.Header.Clone())
	code := rc.answers[min(n, len(rc.answers)-1)]
	rc.mu.Unlock()
	w.WriteHeader(code)
	_, _ = w.Write([]byte("  OK\n"))
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies)
}

// entry is a simulator's record of one attempt.
type entry struct {
	label string
	a     Attempt
}

func newNotifier(t *testing.T, cfg NotifierConfig) (*Life, *Notifier[entry]) {
	t.Helper()
	l := NewLife()
	t.Cleanup(l.Close)
	if cfg.Pause == nil {
		cfg.Pause = Doubling(time.Millisecond, 4*time.Millisecond)
	}
	return l, NewNotifier[entry](l, cfg)
}

func quiet(t *testing.T, l *Life) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Quiet(ctx, "test: notifications"); err != nil {
		t.Fatal(err)
	}
}

func TestNotifierRetriesUntilAcked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answers  []int
		acked    func(Attempt) bool
		attempts int
		want     []int // the codes logged
	}{
		{"first answer", []int{200}, nil, 8, []int{200}},
		{"after failures", []int{500, 503, 200}, nil, 8, []int{500, 503, 200}},
		{"attempts run out", []int{500}, nil, 3, []int{500, 500, 500}},
		{"own acknowledgement", []int{200, 200}, func(a Attempt) bool { return a.N == 2 && a.Answer == "  OK" }, 8, []int{200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := &receiver{answers: tt.answers}
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			l, n := newNotifier(t, NotifierConfig{Attempts: tt.attempts, AnswerBytes: 4})
			n.Send(Message{URL: srv.URL, Body: []byte("b"), Header: http.Header{"X-Sig": {"s"}}, Acked: tt.acked},
				func(a Attempt) entry { return entry{"x", a} })
			quiet(t, l)
			var codes []int
			for i, e := range n.Log() {
				codes = append(codes, e.a.Code)
				if e.a.N != i+1 || e.label != "x" || e.a.At.IsZero() || e.a.Err != "" || (tt.acked != nil && e.a.Answer != "  OK") {
					t.Errorf("attempt %d: %+v", i+1, e)
				}
			}
			if !slices.Equal(codes, tt.want) || len(rc.got()) != len(tt.want) {
				t.Fatalf("answers %v (%d received), want %v", codes, len(rc.got()), tt.want)
			}
			if rc.headers[0].Get("X-Sig") != "s" {
				t.Fatalf("headers %v", rc.headers[0])
			}
		})
	}
}

// Messages with one key go out one after another, in order, however long
// the earlier ones take; others do not wait.
func TestNotifierOrderPerKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	failedOnce := map[string]bool{}
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !failedOnce[string(body)] { // every message needs a second attempt
			failedOnce[string(body)] = true
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got = append(got, string(body))
	}))
	t.Cleanup(srv.Close)
	l, n := newNotifier(t, NotifierConfig{})
	record := func(a Attempt) entry { return entry{a: a} }
	for i := range 5 {
		n.Send(Message{Key: "tr1", URL: srv.URL, Body: []byte("tr1-" + string(rune('0'+i)))}, record)
	}
	quiet(t, l)
	if want := []string{"tr1-0", "tr1-1", "tr1-2", "tr1-3", "tr1-4"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	if len(n.tails) != 0 {
		t.Fatalf("%d keys still held after every delivery ended", len(n.tails))
	}
}

// A message with Until is delivered until Until closes, whatever the
// answers; closing it cuts a pause short.
func TestNotifierUntil(t *testing.T) {
	t.Parallel()
	rc := &receiver{answers: []int{200}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	l, n := newNotifier(t, NotifierConfig{Attempts: 8, Pause: Schedule(time.Millisecond, []int{1, 1, 3600_000})})
	until := make(chan struct{})
	n.Send(Message{URL: srv.URL, Until: until, Acked: func(Attempt) bool { return false }},
		func(a Attempt) entry { return entry{a: a} })
	for len(rc.got()) < 3 { // the third attempt is followed by an hour's pause
		time.Sleep(time.Millisecond)
	}
	close(until)
	quiet(t, l)
	if len(n.Log()) != 3 {
		t.Fatalf("%d attempts, want 3", len(n.Log()))
	}
}

func TestNotifierClosed(t *testing.T) {
	t.Parallel()
	rc := &receiver{answers: []int{500}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	l, n := newNotifier(t, NotifierConfig{Pause: Doubling(time.Hour, time.Hour)})
	n.Send(Message{URL: srv.URL}, func(a Attempt) entry { return entry{a: a} })
	for len(rc.got()) < 1 {
		time.Sleep(time.Millisecond)
	}
	l.Close() // cuts the hour's pause short
	n.Send(Message{URL: srv.URL}, func(a Attempt) entry { return entry{a: a} })
	if got := len(rc.got()); got != 1 || len(n.Log()) != 1 {
		t.Fatalf("%d deliveries, %d logged after Close; want 1", got, len(n.Log()))
	}
}

func TestNotifierTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	l, n := newNotifier(t, NotifierConfig{Attempts: 2})
	n.Send(Message{URL: srv.URL}, func(a Attempt) entry { return entry{a: a} })
	quiet(t, l)
	for _, e := range n.Log() {
		if e.a.Code != 0 || !strings.Contains(e.a.Err, "connect") {
			t.Fatalf("%+v", e.a)
		}
	}
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	d := Doubling(50*time.Millisecond, 300*time.Millisecond)
	s := Schedule(time.Minute, []int{3, 5, 15})
	for n, want := range map[int][2]time.Duration{
		1:  {50 * time.Millisecond, 3 * time.Minute},
		2:  {100 * time.Millisecond, 5 * time.Minute},
		3:  {200 * time.Millisecond, 15 * time.Minute},
		4:  {300 * time.Millisecond, 15 * time.Minute},
		60: {300 * time.Millisecond, 15 * time.Minute},
	} {
		if d(n) != want[0] || s(n) != want[1] {
			t.Errorf("pause after attempt %d: %v and %v, want %v", n, d(n), s(n), want)
		}
	}
	if got := Doubling(time.Second, 100*time.Millisecond)(2); got != 100*time.Millisecond {
		t.Errorf("a first pause over the limit, then %v", got)
	}
}
