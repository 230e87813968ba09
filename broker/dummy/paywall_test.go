package dummy

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// The paywall answers every request with the headers of a page without
// scripts, and refuses forms over 32 KiB, also when mounted without httpapi.
func TestPaywallHeadersAndFormCap(t *testing.T) {
	t.Parallel()
	b, err := New(Config{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	f := paywallFields{PaymentID: "pay_1", Amount: "1.00", Currency: "PLN", Description: "d",
		NotifyURL: "http://x/callback/dummy", SuccessURL: "http://x/success/pay_1", FailureURL: "http://x/failure/pay_1"}
	pages := b.Pages()
	tests := []struct {
		name, method, target, body string
		status                     int
	}{
		{"paywall", "GET", "/pay?" + f.values("s").Encode(), "", 200},
		{"unsigned", "GET", "/pay?payment_id=pay_1", "", 403},
		{"form over 32 KiB", "POST", "/choose", f.values("s").Encode() + "&pad=" + strings.Repeat("x", 33<<10), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			pages.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			h := rec.Header()
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
				t.Fatalf("policy %q", csp)
			}
			for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
				if h.Get(k) != want {
					t.Fatalf("%s = %q", k, h.Get(k))
				}
			}
			if tt.status == 200 && !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q", h.Get("Content-Type"))
			}
		})
	}
	if _, decided := b.state["pay_1"]; decided {
		t.Fatal("an oversized form decided the payment")
	}
}

// The GET redirect's query, encoded once, is the signed form's encoding:
// the same bytes the paywall reads and checks.
func TestQueryIsTheSignedFormEncoded(t *testing.T) {
	t.Parallel()
	for _, f := range []paywallFields{
		{PaymentID: "pay_1", Amount: "1.00", Currency: "PLN", Description: "d",
			NotifyURL: "http://x/callback/dummy", SuccessURL: "http://x/success/pay_1", FailureURL: "http://x/failure/pay_1"},
		{},
		{PaymentID: "p", Amount: "0.01", Currency: "EUR", Description: "a&success_url=b&sig=c =?#%+ żółw",
			NotifyURL: "https://x/n?a=1&b=2", SuccessURL: "&success_url=", FailureURL: "sig=&"},
		{Description: strings.Repeat("ż", 1024), SuccessURL: "x"},
	} {
		if got, want := f.query("s"), f.values("s").Encode(); got != want {
			t.Errorf("query of %+v:\n got %s\nwant %s", f, got, want)
		}
	}
}

// The paywall opened again once the buyer chose (the back button, a second
// tab) or the shop cancelled says the payment no longer awaits a choice,
// with the way back, instead of offering choices it then refuses with
// "already decided", as the simulators' pages do.
func TestPaywallAfterADecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome, back string
	}{
		{StatusPaid, "http://x/success/pay_1"},
		{StatusPartiallyPaid, "http://x/success/pay_1"},
		{StatusPreAuth, "http://x/success/pay_1"},
		{StatusFailed, "http://x/failure/pay_1"},
		{"cancelled", "http://x/failure/pay_1"},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			t.Parallel()
			b, err := New(Config{Secret: "s", NoCallbacks: true})
			if err != nil {
				t.Fatal(err)
			}
			f := paywallFields{PaymentID: "pay_1", Amount: "1.00", Currency: "PLN", Description: "d",
				NotifyURL: "http://x/callback/dummy", SuccessURL: "http://x/success/pay_1", FailureURL: "http://x/failure/pay_1"}
			pages := b.Pages()
			serve := func(method, target, body string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, target, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				pages.ServeHTTP(rec, req)
				return rec
			}
			if rec := serve("GET", "/pay?"+f.query("s"), ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="pay"`) {
				t.Fatalf("the paywall before a choice: %d\n%s", rec.Code, rec.Body)
			}
			if tt.outcome == "cancelled" {
				if _, err := b.Cancel(t.Context(), &getpaid.CancelRequest{Payment: &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("1.00", "PLN")}}); err != nil {
					t.Fatal(err)
				}
			} else if rec := serve("POST", "/choose", f.values("s").Encode()+"&outcome="+tt.outcome); rec.Code != 303 {
				t.Fatalf("choosing %s: %d\n%s", tt.outcome, rec.Code, rec.Body)
			}
			rec := serve("GET", "/pay?"+f.query("s"), "")
			page := rec.Body.String()
			if rec.Code != 200 || strings.Contains(page, "<button") || !strings.Contains(page, "no longer awaiting") || !strings.Contains(page, `href="`+tt.back+`"`) {
				t.Fatalf("the paywall opened again after %s: %d\n%s", tt.outcome, rec.Code, page)
			}
		})
	}
}
