package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// The dummy paywall behaves like an asynchronous broker: the buyer's choice
// becomes a signed callback in the background and a redirect to the return URL.
func TestDummyPaywallJourneys(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		tests := []struct {
			outcome  string
			want     getpaid.Status
			returnTo string
		}{
			{"paid", getpaid.StatusPaid, "/success/"},
			{"failed", getpaid.StatusFailed, "/failure/"},
			{"partially_paid", getpaid.StatusPartiallyPaid, "/success/"},
			{"pre_auth", getpaid.StatusPreAuth, "/success/"},
		}
		for _, tt := range tests {
			t.Run(tt.outcome, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envOpts{store: store})
				p := e.create("o-"+tt.outcome, "20.00", "PLN", "dummy")
				resp, body := e.do("GET", strings.TrimPrefix(p.Redirect.URL, e.srv.URL), nil, nil)
				if resp.StatusCode != 200 || !strings.Contains(string(body), "20.00 PLN") {
					t.Fatalf("paywall page: %d\n%s", resp.StatusCode, body)
				}
				fields := url.Values{}
				for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
					fields.Set(m[1], htmlUnescape(m[2]))
				}
				fields.Set("outcome", tt.outcome)
				resp, _ = e.postForm("/broker/dummy/choose", fields)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.srv.URL+tt.returnTo+p.ID {
					t.Fatalf("choice: %d -> %q", resp.StatusCode, resp.Header.Get("Location"))
				}
				e.dummy.Wait() // the callback is delivered in the background
				if got := e.payment(p.ID); got.Status != tt.want {
					t.Fatalf("after %s: %s, want %s", tt.outcome, got.Status, tt.want)
				}
				// Pull mode agrees with push and changes nothing more.
				resp, body = e.do("POST", "/api/v1/payments/"+p.ID+"/poll", nil, auth)
				if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"`+string(tt.want)+`"`) {
					t.Fatalf("poll: %d %s", resp.StatusCode, body)
				}
			})
		}
		t.Run("tampered paywall fields are refused", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store})
			p := e.create("o-t", "20.00", "PLN", "dummy")
			u, _ := url.Parse(p.Redirect.URL)
			q := u.Query()
			q.Set("amount", "0.01")
			q.Set("outcome", "paid")
			if resp, _ := e.postForm("/broker/dummy/choose", q); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("tampered choice: %d", resp.StatusCode)
			}
		})
	})
}

// Capture, release and refund through the API on the dummy broker.
func TestOperatorActions(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		preauth := func(order string) string {
			p := e.create(order, "100.00", "PLN", "dummy")
			u, _ := url.Parse(p.Redirect.URL)
			q := u.Query()
			q.Set("outcome", "pre_auth")
			e.postForm("/broker/dummy/choose", q)
			e.dummy.Wait()
			return p.ID
		}
		act := func(id, action, amount string) (int, string) {
			var body any
			if amount != "" {
				body = map[string]string{"amount": amount}
			}
			hdr := map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": getpaid.NewID("key")}
			resp, b := e.do("POST", "/api/v1/payments/"+id+"/"+action, body, hdr)
			return resp.StatusCode, string(b)
		}
		id := preauth("cap")
		if code, b := act(id, "capture", "30.00"); code != 200 || !strings.Contains(b, `"locked":"70.00"`) {
			t.Fatalf("capture 30: %d %s", code, b)
		}
		if code, _ := act(id, "capture", "80.00"); code != 422 {
			t.Fatalf("capture above the hold: %d", code)
		}
		if code, b := act(id, "capture", "70.00"); code != 200 || !strings.Contains(b, `"status":"paid"`) {
			t.Fatalf("capture 70: %d %s", code, b)
		}
		if code, _ := act(id, "capture", "1.00"); code != 409 {
			t.Fatalf("capture without a hold: %d", code)
		}
		if code, b := act(id, "refund", "40.00"); code != 200 || !strings.Contains(b, `"status":"partially_refunded"`) {
			t.Fatalf("partial refund: %d %s", code, b)
		}
		if code, _ := act(id, "refund", "60.01"); code != 422 {
			t.Fatalf("refund above paid - refunded: %d", code)
		}
		if code, b := act(id, "refund", ""); code != 200 || !strings.Contains(b, `"status":"refunded"`) {
			t.Fatalf("refund the rest: %d %s", code, b)
		}
		rel := preauth("rel")
		if code, b := act(rel, "release", ""); code != 200 || !strings.Contains(b, `"status":"cancelled"`) {
			t.Fatalf("release: %d %s", code, b)
		}
	})
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'")
	return r.Replace(s)
}
