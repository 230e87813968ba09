package admin_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
)

// TestThrottledLoginSaysWhenToComeBack: a throttled sign-in's Retry-After
// and "Try again in N s" were the wait rounded to the nearest second, so
// 1.4 s left said 1 s, and an operator (or a client) coming back then was
// refused again. Waiting what they say must be enough.
func TestThrottledLoginSaysWhenToComeBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		after time.Duration // since the last failure, when the throttled try comes
	}{
		{"wait 1.4 s left", 600 * time.Millisecond},
		{"wait 0.2 s left", 1800 * time.Millisecond},
		{"wait 1.9 s left", 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			at := time.Now()
			e := newEnv(t, nil, false, func(c *admin.Config) {
				c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
			})
			advance := func(d time.Duration) { mu.Lock(); at = at.Add(d); mu.Unlock() }
			b := e.browser()
			for range admin.FreeFailures {
				if resp := b.login("wrong password"); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("wrong password: %d, want 401", resp.StatusCode)
				}
			}
			advance(tc.after)
			resp := b.login(password)
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("throttled try: %d, want 429", resp.StatusCode)
			}
			secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || secs < 1 {
				t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
			if !strings.Contains(b.last, "Try again in "+strconv.Itoa(secs)+" s.") {
				t.Errorf("the page says another wait than Retry-After %d:\n%s", secs, b.last)
			}
			advance(time.Duration(secs) * time.Second)
			if resp := b.login(password); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("signing in after the %d s said: %d, want 303", secs, resp.StatusCode)
			}
		})
	}
}
