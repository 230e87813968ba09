package getpaid_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// TestRecordClipsAttemptError: an attempt's error is kept with the delivery
// and shown by every listing of it, so whatever a consumer answered (a
// listener's error, an endpoint's status line) is kept clipped, cut between
// characters, and made text every store takes.
func TestRecordClipsAttemptError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, err string
		want      func(string) bool
	}{
		{"short", "webhook: answered 503 Service Unavailable", func(s string) bool { return s == "webhook: answered 503 Service Unavailable" }},
		{"a megabyte", strings.Repeat("A", 1<<20), func(s string) bool {
			return len(s) <= getpaid.MaxAttemptError+len("…") && strings.HasSuffix(s, "…")
		}},
		{"cut inside a character", strings.Repeat("ż", getpaid.MaxAttemptError), func(s string) bool {
			return len(s) <= getpaid.MaxAttemptError+len("…") && utf8.ValidString(s)
		}},
		{"not UTF-8", "bad \xff", func(s string) bool { return s == "bad \uFFFD" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d getpaid.Delivery
			r := getpaid.DeliveryResult{Attempt: getpaid.Attempt{Error: tc.err}}
			r.Record(&d, time.Now())
			if !tc.want(d.LastError) || d.LastError != r.Attempt.Error {
				t.Errorf("LastError %.60q… (%d bytes), attempt %d bytes", d.LastError, len(d.LastError), len(r.Attempt.Error))
			}
		})
	}
}
