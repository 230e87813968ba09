package payu_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

func TestTokenSharedByConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.TokenRequests(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).Unix())
	e := newEnv(t, payutest.Config{}, func(c *payu.Config) { c.Now = func() time.Time { return time.Unix(now.Load(), 0) } })
	p := e.payment("1.00", "PLN")
	e.prepare(t, p)
	steps := []struct {
		name    string
		advance int64
		want    int
	}{
		{"cached well before expiry", 43199 - 61, 1},
		{"refreshed within 60 s of expiry", 2, 2},
		{"new token cached", 100, 2},
	}
	for _, s := range steps {
		now.Add(s.advance)
		if _, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n := e.sim.TokenRequests(); n != s.want {
			t.Fatalf("%s: %d token requests, want %d", s.name, n, s.want)
		}
	}
}

func TestTokenRetriedOnceOn401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.payment("1.00", "PLN")
	e.prepare(t, p)
	e.sim.RevokeTokens()
	if _, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestBrokerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failure   string
		edit      func(*payu.Config)
		retryable bool
		contains  string
	}{
		{"5xx", payutest.Failure5xx, nil, true, "HTTP 503"},
		{"timeout", payutest.FailureTimeout, func(c *payu.Config) { c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} }, true, "oauth"},
		{"bad credentials", "", func(c *payu.Config) { c.ClientSecret = "wrong" }, false, "invalid_client"},
		{"wrong POS", "", func(c *payu.Config) { c.PosID = "1" }, false, "ERROR_VALUE_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, tc.edit)
			e.sim.SetFailure(tc.failure)
			_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Retryable != tc.retryable || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err = %v (%#v), want retryable=%v containing %q", err, be, tc.retryable, tc.contains)
			}
		})
	}
}

func TestBrokerDownAfterToken(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, failure string }{{"5xx", payutest.Failure5xx}, {"timeout", payutest.FailureTimeout}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, func(c *payu.Config) { c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} })
			p := e.payment("1.00", "PLN")
			e.prepare(t, p)
			e.sim.SetFailure(tc.failure)
			_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Retryable || !be.Happened {
				t.Fatalf("create: err = %v, want retryable and possibly happened", err)
			}
			if _, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); !getpaid.IsRetryable(err) {
				t.Fatalf("fetch: err = %v", err)
			}
			if _, err := e.b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "r1"}); !getpaid.IsRetryable(err) {
				t.Fatalf("refund: err = %v", err)
			}
		})
	}
}

func TestDuplicateExtOrderID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.payment("1.00", "PLN")
	e.prepare(t, p)
	p.Status = getpaid.StatusNew
	_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
	if err == nil || getpaid.IsRetryable(err) || !strings.Contains(err.Error(), "ERROR_ORDER_NOT_UNIQUE") {
		t.Fatalf("err = %v", err)
	}
}

func TestPrepareRefusesCurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	for _, c := range []string{"JPY", "AUD"} {
		p := &getpaid.Payment{ID: "pay_x", Status: getpaid.StatusNew, Amount: getpaid.Money{Minor: 100, Currency: c}}
		if _, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p}); !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
			t.Fatalf("%s: err = %v", c, err)
		}
	}
}

func TestFetchStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		outcome string
		kind    getpaid.Kind
		status  getpaid.Status
	}{
		{"new order: nothing new", "", getpaid.KindNone, getpaid.StatusPrepared},
		{"paid", payutest.OutcomePaid, getpaid.KindCaptured, getpaid.StatusPaid},
		{"held", payutest.OutcomePreAuth, getpaid.KindLocked, getpaid.StatusPreAuth},
		{"declined", payutest.OutcomeDeclined, getpaid.KindFailed, getpaid.StatusFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, nil)
			p := e.payment("1.00", "PLN")
			pr := e.prepare(t, p)
			if tc.outcome != "" {
				_ = e.sim.Pay(ctx, pr.Redirect, tc.outcome)
			}
			o, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
			if err != nil {
				t.Fatal(err)
			}
			if o.Kind != tc.kind || o.EventID != "poll:"+p.ExternalID+":"+o.BrokerStatus {
				t.Fatalf("got %+v", o)
			}
			apply(t, p, o, nil)
			if p.Status != tc.status {
				t.Fatalf("status %s, want %s", p.Status, tc.status)
			}
		})
	}
	b, _ := payu.New(payu.Config{PosID: "1", SecondKey: "k", ClientID: "1", ClientSecret: "s"})
	if _, err := b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("no order id: err = %v", err)
	}
}

func TestHUFOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.payment("10", "HUF")
	e.prepare(t, p)
	req, err := e.sim.Notification(p.ExternalID, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(req.Body), `"totalAmount":"1000"`) || !strings.Contains(string(req.Body), `"unitPrice":"1000"`) {
		t.Fatalf("body %s", req.Body)
	}
	o, err := e.b.ParseCallback(context.Background(), req)
	if err != nil || o.Amount != p.Amount {
		t.Fatalf("got %+v, %v", o, err)
	}
}

func TestNotificationRetriedUntil200(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{NotifyBackoff: 5 * time.Millisecond}, nil)
	e.fails.Store(2)
	p := e.payment("1.00", "PLN")
	pr := e.prepare(t, p)
	_ = e.sim.Pay(context.Background(), pr.Redirect, payutest.OutcomePaid)
	e.next(t, p)
	waitFor(t, func() bool { return len(e.sim.Notifications()) >= 3 })
	var codes []int
	for _, d := range e.sim.Notifications() {
		codes = append(codes, d.StatusCode)
	}
	if len(codes) != 3 || codes[0] != 500 || codes[1] != 500 || codes[2] != 200 {
		t.Fatalf("delivery codes %v, want [500 500 200]", codes)
	}
}

func TestNotificationAttemptsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{NotifyBackoff: time.Millisecond, NotifyAttempts: 3}, nil)
	e.fails.Store(1000)
	p := e.payment("1.00", "PLN")
	pr := e.prepare(t, p)
	_ = e.sim.Pay(context.Background(), pr.Redirect, payutest.OutcomeDeclined)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.sim.Quiet(ctx); err != nil { // every attempt made, the last given up
		t.Fatal(err)
	}
	if n := len(e.sim.Notifications()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestSimulatorNotifications(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		alg     string
		strict  bool
		wantErr error
	}{
		{"SHA-256", "SHA-256", false, nil},
		{"SHA-512", "SHA-512", false, nil},
		{"MD5 (the simulator's default, as PayU) accepted by default", "", false, nil},
		{"MD5 refused with strict_signatures", "MD5", true, getpaid.ErrSignatureInvalid},
		{"SHA-384 accepted with strict_signatures", "SHA-384", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{Algorithm: tc.alg}, func(c *payu.Config) { c.StrictSignatures = tc.strict })
			req, err := e.sim.Notification("UNKNOWNORDER", payu.StatusCompleted, "2500", "EUR")
			if err != nil {
				t.Fatal(err)
			}
			if req.Header.Get(payu.HeaderSignature) == "" || req.Header.Get(payu.HeaderXSignature) == "" {
				t.Fatalf("headers %v", req.Header)
			}
			o, err := e.b.ParseCallback(context.Background(), req)
			if !errors.Is(err, tc.wantErr) || (err == nil && (o.Amount != getpaid.MustParseMoney("25.00", "EUR") || o.PaymentID != "UNKNOWNORDER")) {
				t.Fatalf("got %+v, %v", o, err)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestConcurrentCallsDuringOutageAllRetryable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, nil)
	e.sim.SetFailure(payutest.Failure5xx)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 10 {
		wg.Go(func() {
			_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")})
			if !getpaid.IsRetryable(err) {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d calls not retryable", bad.Load())
	}
	e.sim.SetFailure("")
	if _, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// An answer that is not PayU's JSON (a proxy's or a load balancer's error
// page while PayU is down, or an empty body) still says what came back: the
// OAuth error was "payu: oauth (HTTP 503):  " with nothing after the colon.
func TestErrorTextOfAnswerThatIsNotJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, body string
		want             string
	}{
		{"oauth, html page", "/pl/standard/user/oauth/authorize", "<html><body>503 Service Unavailable</body></html>", "503 Service Unavailable"},
		{"oauth, empty body", "/pl/standard/user/oauth/authorize", "", "no error text"},
		{"create order, html page", "/api/v2_1/orders", "<html><body>502 Bad Gateway</body></html>", "502 Bad Gateway"},
		{"create order, empty body", "/api/v2_1/orders", "", "no error text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := payutest.Start(payutest.Config{})
			t.Cleanup(sim.Close)
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == tc.path {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusServiceUnavailable)
					_, _ = io.WriteString(w, tc.body)
					return
				}
				sim.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			sc := sim.Config()
			b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID,
				ClientSecret: sc.ClientSecret, APIURL: front.URL})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Provision(context.Background(), getpaid.NewEnv("payu", "http://127.0.0.1:1/p", nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "payu",
				Amount: getpaid.MustParseMoney("1.00", "PLN"), Description: "d", Status: getpaid.StatusNew}
			_, err = b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Retryable || be.Status != http.StatusServiceUnavailable {
				t.Fatalf("err = %v, want a retryable BrokerError with HTTP 503", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.HasSuffix(strings.TrimSpace(msg), ":") {
				t.Fatalf("err = %q, want it to say %q", msg, tc.want)
			}
		})
	}
}

// A token PayU says lives for years (expires_in 1e9 s) is replaced within
// a day all the same: it was kept for 31 years.
func TestTokenHugeExpiresInBounded(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).Unix())
	e := newEnv(t, payutest.Config{TokenTTL: 1e9 * time.Second}, func(c *payu.Config) { c.Now = func() time.Time { return time.Unix(now.Load(), 0) } })
	p := e.payment("1.00", "PLN")
	e.prepare(t, p)
	now.Add(24 * 3600)
	if _, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil || e.sim.TokenRequests() != 2 {
		t.Fatalf("a day later: %v, %d token requests, want 2", err, e.sim.TokenRequests())
	}
}
