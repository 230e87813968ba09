package brokerhttp

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

func TestTokensCachesUntilRenewal(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64 // the time, in nanoseconds since 1970
	clock.Store(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	var fetches atomic.Int32
	c := NewTokens("x: oauth", now, func(context.Context) (string, time.Duration, error) {
		n := fetches.Add(1)
		return string(rune('a' + n - 1)), time.Minute, nil
	})
	ctx := context.Background()
	for i, step := range []struct {
		advance time.Duration
		want    string
		fetches int32
	}{
		{0, "a", 1}, {59 * time.Second, "a", 1}, {time.Second, "b", 2}, {0, "b", 2},
	} {
		clock.Add(int64(step.advance))
		tok, err := c.Token(ctx)
		if err != nil || tok != step.want || fetches.Load() != step.fetches {
			t.Fatalf("step %d: %q, %v after %d fetches; want %q after %d", i, tok, err, fetches.Load(), step.want, step.fetches)
		}
	}
	c.Invalidate("a") // no longer the cached one: nothing happens
	if tok, _ := c.Token(ctx); tok != "b" || fetches.Load() != 2 {
		t.Fatalf("invalidating an old token: %q after %d fetches", tok, fetches.Load())
	}
	c.Invalidate("b")
	if tok, _ := c.Token(ctx); tok != "c" || fetches.Load() != 3 {
		t.Fatalf("after invalidating the cached token: %q after %d fetches", tok, fetches.Load())
	}
}

// TestTokensSingleFlight: callers arriving while a fetch runs wait for it,
// and share its token or its failure.
func TestTokensSingleFlight(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"token", nil},
		{"failure", &getpaid.BrokerError{Op: "x: oauth", Status: 503, Retryable: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			started := make(chan struct{}, 1)
			var fetches atomic.Int32
			c := NewTokens("x: oauth", nil, func(context.Context) (string, time.Duration, error) {
				fetches.Add(1)
				started <- struct{}{}
				<-release
				if tt.err != nil {
					return "", 0, tt.err
				}
				return "tok", time.Hour, nil
			})
			const callers = 20
			var waiting atomic.Int32
			ctx := countingCtx{Context: context.Background(), done: &waiting}
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			toks := make(chan string, callers)
			for range callers {
				wg.Go(func() {
					tok, err := c.Token(ctx)
					errs <- err
					toks <- tok
				})
			}
			<-started
			// Every other caller waits for the running fetch.
			for waiting.Load() < callers-1 {
				time.Sleep(time.Millisecond)
			}
			close(release)
			wg.Wait()
			close(errs)
			close(toks)
			if n := fetches.Load(); n != 1 {
				t.Fatalf("%d fetches for %d callers, want 1", n, callers)
			}
			for err := range errs {
				if !errors.Is(err, tt.err) && err != tt.err {
					t.Fatalf("caller got %v, want %v", err, tt.err)
				}
			}
			for tok := range toks {
				if (tt.err == nil) != (tok == "tok") {
					t.Fatalf("caller got token %q", tok)
				}
			}
		})
	}
}

// TestTokensCallerGivingUp: a waiting caller whose context ends gets a
// retryable error at once; a fetch that ended because its own caller gave up
// is not shared, and the next caller fetches again.
func TestTokensCallerGivingUp(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	block := make(chan struct{})
	c := NewTokens("x: oauth", nil, func(ctx context.Context) (string, time.Duration, error) {
		if fetches.Add(1) == 1 {
			select {
			case <-ctx.Done():
				return "", 0, &getpaid.BrokerError{Op: "x: oauth", Retryable: true, Err: ctx.Err()}
			case <-block:
			}
		}
		return "tok", time.Hour, nil
	})
	first, cancelFirst := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Token(first); done <- err }()
	for fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter, cancelWaiter := context.WithCancel(context.Background())
	cancelWaiter()
	var be *getpaid.BrokerError
	if _, err := c.Token(waiter); !errors.As(err, &be) || !be.Retryable || be.Op != "x: oauth" || !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose context ended: %v", err)
	}
	cancelFirst()
	if err := <-done; err == nil {
		t.Fatal("the fetching caller gave up and still got a token")
	}
	if tok, err := c.Token(context.Background()); err != nil || tok != "tok" || fetches.Load() != 2 {
		t.Fatalf("after a caller gave up: %q, %v after %d fetches; want a new fetch", tok, err, fetches.Load())
	}
}

// countingCtx counts the callers waiting on it: Token asks for Done only
// while it waits for another caller's fetch.
type countingCtx struct {
	context.Context
	done *atomic.Int32
}

func (c countingCtx) Done() <-chan struct{} {
	c.done.Add(1)
	return c.Context.Done()
}

// An expires_in is taken up to MaxTokenLife: a huge one (a broker's bug, a
// proxy's answer) overflowed the multiplication by a second, into a
// fraction of a second (27670116109 s: 292 years) or centuries.
func TestTokenLife(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   int64
		want time.Duration
	}{
		{-5, 0}, {0, 0}, {7200, 2 * time.Hour}, {43199, 43199 * time.Second}, {86400, MaxTokenLife},
		{1_000_000_000, MaxTokenLife}, {18446744074, MaxTokenLife}, {27670116109, MaxTokenLife}, {math.MaxInt64, MaxTokenLife},
	} {
		if got := TokenLife(tt.in); got != tt.want {
			t.Errorf("TokenLife(%d) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A token is fetched again after MaxTokenLife whatever its fetch said.
func TestTokensAtMostMaxTokenLife(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	var fetches atomic.Int32
	c := NewTokens("x: oauth", func() time.Time { return time.Unix(0, clock.Load()) }, func(context.Context) (string, time.Duration, error) {
		fetches.Add(1)
		return "t", math.MaxInt64, nil
	})
	for i, step := range []struct {
		advance time.Duration
		fetches int32
	}{{0, 1}, {MaxTokenLife - time.Second, 1}, {time.Second, 2}} {
		clock.Add(int64(step.advance))
		if _, err := c.Token(context.Background()); err != nil || fetches.Load() != step.fetches {
			t.Fatalf("step %d: %v after %d fetches, want %d", i, err, fetches.Load(), step.fetches)
		}
	}
}
