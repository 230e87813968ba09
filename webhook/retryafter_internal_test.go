package webhook

import (
	"testing"
	"time"
)

// FuzzRetryAfter feeds the Retry-After parser what an endpoint may answer
// (it is outside data): whatever it is, the wait is never negative and never
// past maxRetryAfter, so it cannot wrap a next-attempt time or panic.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-5", "soon", "1e3", " 120", "99999999999999999999", "9223372036",
		"Wed, 02 Dec 2026 10:01:30 GMT", "Wednesday, 02-Dec-26 10:01:30 GMT", "Wed Dec  2 10:01:30 2026",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "Wed, 02 Dec 2026 10:01:30"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := retryAfter(v, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %v, want 0 to %v", v, d, maxRetryAfter)
		}
	})
}
