package webhook_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid/webhook"
)

// TestEndpointClipsWhatTheEndpointSays: an endpoint's status line is kept,
// logged and shown with every attempt, so a long one (a broken or hostile
// endpoint answering "503 AAAA…" for half a megabyte) must come back as a
// short error text, and a status line or headers too large for the
// transport's cap must not be read whole.
func TestEndpointClipsWhatTheEndpointSays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		reason string
		status int
	}{
		{"long reason phrase", strings.Repeat("A", 40<<10), 503},
		{"reason phrase over the header cap", strings.Repeat("A", 500<<10), 0},
		{"reason phrase cut inside a character", strings.Repeat("ż", 300), 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := rawEndpoint(t, func(c net.Conn) {
				code := tc.status
				if code == 0 {
					code = 503
				}
				_, _ = c.Write([]byte("HTTP/1.1 " + strconv.Itoa(code) + " " + tc.reason +
					"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			})
			status, err := ep.Deliver(context.Background(), sampleEvent())
			if err == nil || status != tc.status {
				t.Fatalf("Deliver = %d, %v; want a failure with status %d", status, err, tc.status)
			}
			if n := len(err.Error()); n > 400 || !utf8.ValidString(err.Error()) {
				t.Errorf("error text of %d bytes (valid UTF-8: %v): %.80q…", n, utf8.ValidString(err.Error()), err.Error())
			}
			var se *webhook.StatusError
			if tc.status != 0 && (!errors.As(err, &se) || se.Status != tc.status) {
				t.Errorf("error %T does not carry status %d", err, tc.status)
			}
		})
	}
}
