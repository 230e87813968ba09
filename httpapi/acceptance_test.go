package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Scenario 1: only backends accepting the currency are listed or usable.
func TestBackendsByCurrency(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		tests := []struct {
			name, currency string
			want           []string
		}{
			{"PLN", "PLN", []string{"dummy"}},
			{"JPY", "JPY", []string{"dummy", "yen"}},
			{"KWD", "KWD", []string{"yen"}},
			{"CHF accepted by none", "CHF", []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := e.do("GET", "/api/v1/backends?currency="+tt.currency, nil, nil)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				var got []httpapi.BackendJSON
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				names := []string{}
				for _, b := range got {
					names = append(names, b.Name)
				}
				if strings.Join(names, ",") != strings.Join(tt.want, ",") {
					t.Fatalf("backends for %s = %v, want %v", tt.currency, names, tt.want)
				}
			})
		}
		if resp, _ := e.do("GET", "/api/v1/backends?currency=XYZ", nil, nil); resp.StatusCode != 422 {
			t.Errorf("unknown currency: %d, want 422", resp.StatusCode)
		}
	})
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		base := func() map[string]any {
			return map[string]any{"order_id": "o-1", "amount": "10.00", "currency": "PLN", "backend": "dummy", "return_url": "https://shop.example/o-1"}
		}
		tests := []struct {
			name   string
			change func(m map[string]any)
			status int
			field  string
		}{
			{"unknown backend", func(m map[string]any) { m["backend"] = "nope" }, 422, "backend"},
			{"currency not accepted", func(m map[string]any) { m["currency"] = "KWD"; m["amount"] = "1.005" }, 422, "currency"},
			{"unknown currency", func(m map[string]any) { m["currency"] = "XYZ" }, 422, "currency"},
			{"too many decimals", func(m map[string]any) { m["amount"] = "10.001" }, 422, "amount"},
			{"JPY with decimals", func(m map[string]any) { m["currency"] = "JPY"; m["amount"] = "100.5" }, 422, "amount"},
			{"zero amount", func(m map[string]any) { m["amount"] = "0.00" }, 422, "amount"},
			{"missing order", func(m map[string]any) { delete(m, "order_id") }, 422, "order_id"},
			{"relative return url", func(m map[string]any) { m["return_url"] = "/orders/1" }, 422, "return_url"},
			{"unknown field", func(m map[string]any) { m["amount_cents"] = 1000 }, 400, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m := base()
				tt.change(m)
				resp, body := e.do("POST", "/api/v1/payments", m, auth)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
				}
				var out struct {
					Error struct{ Field, Message string }
				}
				_ = json.Unmarshal(body, &out)
				if out.Error.Field != tt.field || out.Error.Message == "" {
					t.Fatalf("error = %+v, want field %q with a reason", out.Error, tt.field)
				}
			})
		}
		ps := e.byOrder("o-1")
		if len(ps) != 0 {
			t.Fatalf("refused requests stored %d payments", len(ps))
		}
		for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer wrong-key-wrong-key"}} {
			if resp, _ := e.do("POST", "/api/v1/payments", base(), hdr); resp.StatusCode != 401 {
				t.Errorf("auth %v: status %d, want 401", hdr, resp.StatusCode)
			}
		}
		if resp, _ := e.do("GET", "/api/v1/payments/pay_x", nil, nil); resp.StatusCode != 401 {
			t.Errorf("read without key: %d, want 401", resp.StatusCode)
		}
	})
}

// Scenario 2: starting.
func TestStart(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		t.Run("GET backend answers 302 to the broker", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store})
			e.orders["o-9"] = &getpaid.Order{ID: "o-9", Amount: getpaid.MustParseMoney("12.34", "PLN"), Description: "Nine", ReturnURL: "https://shop.example/o/9"}
			resp, body := e.do("GET", "/pay/o-9", nil, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `value="dummy"`) || strings.Contains(string(body), `value="yen"`) {
				t.Fatalf("form: %d, lists wrong backends:\n%s", resp.StatusCode, body)
			}
			resp, body = e.postForm("/pay/o-9", url.Values{"backend": {"yen"}})
			if resp.StatusCode != 422 {
				t.Fatalf("backend without PLN: %d, want 422: %s", resp.StatusCode, body)
			}
			resp, _ = e.postForm("/pay/o-9", url.Values{"backend": {"dummy"}})
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, e.srv.URL+"/broker/dummy/pay?") {
				t.Fatalf("start: %d Location %q", resp.StatusCode, loc)
			}
			ps := e.byOrder("o-9")
			if len(ps) != 1 || ps[0].Status != getpaid.StatusPrepared {
				t.Fatalf("payments after start: %+v", ps)
			}
		})
		t.Run("POST backend renders an auto-submitting form", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store, method: "POST"})
			e.orders["o-7"] = &getpaid.Order{ID: "o-7", Amount: getpaid.MustParseMoney("5.00", "EUR"), ReturnURL: "https://shop.example/o/7"}
			resp, body := e.postForm("/pay/o-7", url.Values{"backend": {"dummy"}})
			s := string(body)
			if resp.StatusCode != 200 || !strings.Contains(s, `method="post"`) || !strings.Contains(s, `name="sig"`) ||
				!strings.Contains(s, `.submit()`) || !strings.Contains(s, `value="5.00"`) {
				t.Fatalf("auto-submit form: %d\n%s", resp.StatusCode, s)
			}
		})
		t.Run("starting a payment that is not new is refused without a broker call", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store})
			p := e.create("o-1", "10.00", "PLN", "dummy")
			if p.Status != "prepared" || p.Redirect == nil || p.Redirect.Method != "GET" {
				t.Fatalf("created %+v", p)
			}
			before := e.counts.prepares.Load()
			resp, body := e.do("POST", "/api/v1/payments/"+p.ID+"/start", nil, auth)
			if resp.StatusCode != 409 {
				t.Fatalf("second start: %d, want 409: %s", resp.StatusCode, body)
			}
			if e.counts.prepares.Load() != before {
				t.Fatal("a refused start called the broker")
			}
		})
	})
}

func (e *env) postForm(path string, v url.Values) (*http.Response, []byte) {
	e.t.Helper()
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(e.srv.URL+path, v)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 0)
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return resp, b
}

// Scenario 3: callback mappings.
func TestCallbackMappings(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		tests := []struct {
			name, status, amount string
			want                 getpaid.Status
			captured, locked     string
		}{
			{"paid", "paid", "12.34", getpaid.StatusPaid, "12.34", "0.00"},
			{"failed", "failed", "12.34", getpaid.StatusFailed, "0.00", "0.00"},
			{"pre_auth locks the required amount", "pre_auth", "12.34", getpaid.StatusPreAuth, "0.00", "12.34"},
			{"partially paid", "partially_paid", "5.00", getpaid.StatusPartiallyPaid, "5.00", "0.00"},
		}
		e := newEnv(t, envOpts{store: store})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := e.create("order-"+tt.status, "12.34", "PLN", "dummy")
				body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "evt-" + tt.status, Status: tt.status, Amount: tt.amount, Currency: "PLN"})
				if resp, b := e.callback(body, sig); resp.StatusCode != 200 {
					t.Fatalf("callback: %d %s", resp.StatusCode, b)
				}
				got := e.payment(p.ID)
				if got.Status != tt.want || got.Captured != tt.captured || got.Locked != tt.locked {
					t.Fatalf("got %s captured %s locked %s", got.Status, got.Captured, got.Locked)
				}
				last := got.History[len(got.History)-1]
				if last.From != getpaid.StatusPrepared || last.To != tt.want || last.Cause == "" || last.At.IsZero() {
					t.Fatalf("history %+v", got.History)
				}
			})
		}
	})
}

// Scenario 4: fifty concurrent identical paid callbacks.
func TestConcurrentIdenticalCallbacks(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		p := e.create("o-50", "99.99", "PLN", "dummy")
		body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "evt-same", Status: "paid", Amount: "99.99", Currency: "PLN"})
		var wg sync.WaitGroup
		codes := make(chan int, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, _ := e.callback(body, sig)
				codes <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 {
				t.Fatalf("a concurrent callback got %d", c)
			}
		}
		got := e.payment(p.ID)
		n := 0
		for _, h := range got.History {
			if h.To == getpaid.StatusPaid {
				n++
			}
		}
		if got.Status != getpaid.StatusPaid || n != 1 {
			t.Fatalf("status %s with %d transitions to paid", got.Status, n)
		}
		if ev := e.statusEvents(p.ID, getpaid.StatusPaid); ev != 1 {
			t.Fatalf("%d status-changed events to paid, want 1", ev)
		}
	})
}

// Scenarios 5 and 6: late, tampered, unsigned and malformed callbacks.
func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		p := e.create("o-5", "10.00", "PLN", "dummy")
		paid, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
		if resp, _ := e.callback(paid, sig); resp.StatusCode != 200 {
			t.Fatal("paid callback refused")
		}
		other := e.create("o-6", "10.00", "PLN", "dummy")
		late, lateSig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e2", Status: "failed", Amount: "10.00", Currency: "PLN"})
		tampered := []byte(strings.Replace(string(paid), `"10.00"`, `"99.00"`, 1))
		tests := []struct {
			name   string
			id     string
			body   []byte
			sig    string
			status int
		}{
			{"late failed after paid", p.ID, late, lateSig, 200},
			{"duplicate event", p.ID, paid, sig, 200},
			{"tampered body", p.ID, tampered, sig, 403},
			{"wrong key", other.ID, mustBody(other.ID, "paid", "10.00", "PLN"), dummy.Sign("not-the-secret", mustBody(other.ID, "paid", "10.00", "PLN")), 403},
			{"missing signature", other.ID, mustBody(other.ID, "paid", "10.00", "PLN"), "", 403},
			{"garbage signature", other.ID, mustBody(other.ID, "paid", "10.00", "PLN"), "zz", 403},
			{"malformed JSON", other.ID, []byte(`{"payment_id":`), dummy.Sign(secret, []byte(`{"payment_id":`)), 400},
			{"no status", other.ID, []byte(`{"payment_id":"x","event_id":"y","amount":"1.00","currency":"PLN"}`), dummy.Sign(secret, []byte(`{"payment_id":"x","event_id":"y","amount":"1.00","currency":"PLN"}`)), 400},
			{"wrong amount", other.ID, mustBody(other.ID, "paid", "9.99", "PLN"), dummy.Sign(secret, mustBody(other.ID, "paid", "9.99", "PLN")), 422},
			{"wrong currency", other.ID, mustBody(other.ID, "paid", "10.00", "EUR"), dummy.Sign(secret, mustBody(other.ID, "paid", "10.00", "EUR")), 422},
			{"hold of less than the payment", other.ID, mustBody(other.ID, "pre_auth", "5.00", "PLN"), dummy.Sign(secret, mustBody(other.ID, "pre_auth", "5.00", "PLN")), 422},
			{"hold in another currency", other.ID, mustBody(other.ID, "pre_auth", "10.00", "EUR"), dummy.Sign(secret, mustBody(other.ID, "pre_auth", "10.00", "EUR")), 422},
			{"failure of another amount", other.ID, mustBody(other.ID, "failed", "99.00", "PLN"), dummy.Sign(secret, mustBody(other.ID, "failed", "99.00", "PLN")), 422},
			{"failure in another currency", other.ID, mustBody(other.ID, "failed", "10.00", "EUR"), dummy.Sign(secret, mustBody(other.ID, "failed", "10.00", "EUR")), 422},
			{"too many decimals", other.ID, mustBody(other.ID, "paid", "10.001", "PLN"), dummy.Sign(secret, mustBody(other.ID, "paid", "10.001", "PLN")), 400},
			{"unknown payment is acknowledged and ignored", "pay_unknown", mustBody("pay_unknown", "paid", "10.00", "PLN"), dummy.Sign(secret, mustBody("pay_unknown", "paid", "10.00", "PLN")), 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var before httpapi.PaymentJSON
				if tt.id != "pay_unknown" {
					before = e.payment(tt.id)
				}
				resp, body := e.callback(tt.body, tt.sig)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
				}
				if tt.id == "pay_unknown" {
					return
				}
				after := e.payment(tt.id)
				if after.Status != before.Status || len(after.History) != len(before.History) || after.Captured != before.Captured || after.Locked != before.Locked {
					t.Fatalf("payment changed: %s -> %s", before.Status, after.Status)
				}
			})
		}
	})
}

func mustBody(id, status, amount, cur string) []byte {
	b, _ := json.Marshal(dummy.Callback{PaymentID: id, EventID: "evt-" + id + status + amount + cur, Status: status, Amount: amount, Currency: cur})
	return b
}

// Scenario 7: several payments per order; the one-live policy.
func TestPaymentsPerOrder(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		t.Run("several payments per order are allowed by default", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store})
			e.create("o-1", "10.00", "PLN", "dummy")
			e.create("o-1", "10.00", "PLN", "dummy")
		})
		t.Run("one live payment policy refuses a second until the first fails", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: store, oneLive: true})
			p := e.create("o-1", "10.00", "PLN", "dummy")
			resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o-1", "amount": "10.00", "currency": "PLN", "backend": "dummy"}, auth)
			if resp.StatusCode != 409 {
				t.Fatalf("second live payment: %d %s", resp.StatusCode, body)
			}
			// The shop learns which payment is live, to send the buyer on to it.
			if got := errorOf(t, body); got.Code != "live_payment_exists" || got.PaymentID != p.ID {
				t.Fatalf("second live payment: error %+v, want live_payment_exists naming %s", got, p.ID)
			}
			b, s := signed(dummy.Callback{PaymentID: p.ID, EventID: "f", Status: "failed", Amount: "10.00", Currency: "PLN"})
			e.callback(b, s)
			e.create("o-1", "10.00", "PLN", "dummy") // a retry after a failure
		})
	})
}

// Creates racing for one order under the one-live policy: one payment, and
// every refused create names it, whether the engine's check or the store's
// unique index refused it.
func TestRacingCreatesNameTheLivePayment(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store, oneLive: true})
		const n = 8
		codes, bodies := make([]int, n), make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o-race", "amount": "10.00", "currency": "PLN", "backend": "dummy"}, auth)
				codes[i], bodies[i] = resp.StatusCode, body
			})
		}
		wg.Wait()
		var live string
		for i, c := range codes {
			if c == http.StatusCreated {
				var p struct{ ID string }
				if err := json.Unmarshal(bodies[i], &p); err != nil || live != "" {
					t.Fatalf("two payments created (%s and %s) or unreadable: %v", live, bodies[i], err)
				}
				live = p.ID
			}
		}
		for i, c := range codes {
			if c == http.StatusCreated {
				continue
			}
			if got := errorOf(t, bodies[i]); c != http.StatusConflict || got.Code != "live_payment_exists" || got.PaymentID != live {
				t.Errorf("refused create: %d %s, want 409 live_payment_exists naming %s", c, bodies[i], live)
			}
		}
	})
}

// Scenario 8: returns never change status.
func TestReturns(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		p := e.create("o-8", "10.00", "PLN", "dummy")
		for _, path := range []string{"/success/", "/failure/"} {
			resp, _ := e.do("GET", path+p.ID, nil, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/orders/o-8" {
				t.Fatalf("%s: %d -> %q", path, resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := e.do("GET", path+"pay_nope", nil, nil); resp.StatusCode != 404 {
				t.Fatalf("%s unknown: %d", path, resp.StatusCode)
			}
		}
		if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared || len(got.History) != 1 {
			t.Fatalf("a return changed the payment: %+v", got)
		}
	})
}

// Scenario 9: forwarded client IP.
func TestForwardedClientIP(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		tests := []struct {
			name    string
			proxies []string
			xff     string
			want    string
		}{
			{"untrusted peer's header is ignored", nil, "203.0.113.7", "127.0.0.1"},
			{"trusted proxy's header is used", []string{"127.0.0.1"}, "203.0.113.7", "203.0.113.7"},
			{"chain walked right to left past trusted hops", []string{"127.0.0.0/8", "10.0.0.0/8"}, "198.51.100.1, 203.0.113.7, 10.1.2.3", "203.0.113.7"},
			{"spoofed left entries are not believed", []string{"127.0.0.1"}, "1.1.1.1, 203.0.113.9", "203.0.113.9"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envOpts{store: store, proxies: tt.proxies})
				resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o", "amount": "1.00", "currency": "PLN", "backend": "dummy"},
					map[string]string{"Authorization": "Bearer " + apiKey, "X-Forwarded-For": tt.xff})
				if resp.StatusCode != 201 {
					t.Fatalf("%d %s", resp.StatusCode, body)
				}
				var p httpapi.PaymentJSON
				_ = json.Unmarshal(body, &p)
				stored, _ := e.store.Payment(context.Background(), p.ID)
				if stored.ClientIP != tt.want {
					t.Fatalf("client IP %q, want %q", stored.ClientIP, tt.want)
				}
			})
		}
	})
}

// Scenario 10: amounts with zero and three minor digits round-trip.
func TestMoneyRoundTripThroughAPI(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		for _, tt := range []struct{ amount, cur string }{{"100", "JPY"}, {"1.005", "KWD"}} {
			p := e.create("o-"+tt.cur, tt.amount, tt.cur, "yen")
			got := e.payment(p.ID)
			if got.Amount != tt.amount || got.Currency != tt.cur {
				t.Fatalf("%s %s came back as %s %s", tt.amount, tt.cur, got.Amount, got.Currency)
			}
			if !strings.Contains(got.Redirect.URL, "amount="+url.QueryEscape(tt.amount)) {
				t.Fatalf("paywall redirect lost the amount: %s", got.Redirect.URL)
			}
		}
	})
}
