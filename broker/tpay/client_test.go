package tpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
)

// prepared registers a payment at the simulator directly through the
// backend (no engine) and returns it as the engine would store it.
func prepared(t *testing.T, b *tpay.Broker, amount getpaid.Money) *getpaid.Payment {
	t.Helper()
	if err := b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://shop.example/payments", nil)); err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), Backend: "tpay", Amount: amount, Status: getpaid.StatusNew,
		Description: "Order", Buyer: getpaid.Buyer{Email: "jan@example.com"}}
	res, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := getpaid.MarkPrepared(p, res.ExternalID, res.Redirect); err != nil {
		t.Fatal(err)
	}
	return p
}

// Concurrent callers share one token fetch; the token is reused until
// shortly before it expires, then replaced.
func TestTokenCachedSharedRefreshed(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{})
	clk := &clock{now: time.Now()}
	b := newBroker(t, sim, func(c *tpay.Config) { c.Now = clk.Now })
	p := prepared(t, b, getpaid.MustParseMoney("10.00", "PLN"))
	if n := sim.TokenRequests(); n != 1 {
		t.Fatalf("%d tokens for one call", n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.TokenRequests(); n != 1 {
		t.Fatalf("%d tokens for 21 calls within the token's life", n)
	}
	clk.Add(7200*time.Second - 6*time.Minute) // still well before expiry
	if _, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil || sim.TokenRequests() != 1 {
		t.Fatalf("before the refresh margin: %v, %d tokens", err, sim.TokenRequests())
	}
	clk.Add(2 * time.Minute) // within five minutes of expiry: replaced
	if _, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil || sim.TokenRequests() != 2 {
		t.Fatalf("near expiry: %v, %d tokens, want 2", err, sim.TokenRequests())
	}
}

// Concurrent callers needing a first token wait for one fetch.
func TestTokenOneFetchForConcurrentCallers(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	p := prepared(t, b, getpaid.MustParseMoney("10.00", "PLN"))
	sim.RevokeTokens()
	// A fresh backend with no token: 30 concurrent calls.
	fresh := newBroker(t, sim, nil)
	before := sim.TokenRequests()
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fresh.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := sim.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token fetches for 30 concurrent callers, want 1", n)
	}
}

// A token Tpay no longer accepts (401) is replaced and the call retried once.
func TestTokenRetriedOnceOn401(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	p := prepared(t, b, getpaid.MustParseMoney("10.00", "PLN"))
	sim.RevokeTokens()
	o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
	if err != nil || o.Kind != getpaid.KindNone {
		t.Fatalf("after revocation: %+v, %v", o, err)
	}
	if n := sim.TokenRequests(); n != 2 {
		t.Fatalf("%d tokens, want 2", n)
	}
	if n := len(rec.requests(http.MethodGet, "/transactions/"+p.ExternalID)); n != 2 {
		t.Fatalf("%d status requests, want the refused one and its retry", n)
	}
}

// Wrong credentials are a broker error that retrying will not fix.
func TestTokenRefused(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, func(c *tpay.Config) { c.ClientSecret = "wrong" })
	_ = b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://shop.example", nil))
	_, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: &getpaid.Payment{ID: "pay_1",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@b.pl"}}})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Status != http.StatusUnauthorized || be.Retryable || be.Happened {
		t.Fatalf("err = %#v", err)
	}
}

// POST /transactions carries the amount as a JSON number in major units,
// converted exactly from minor units, for every currency the backend takes,
// and getpaid's URLs from its environment.
func TestCreateTransactionWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		money getpaid.Money
		wire  string
	}{
		{getpaid.Money{Minor: 1, Currency: "PLN"}, "0.01"},
		{getpaid.Money{Minor: 10, Currency: "PLN"}, "0.10"},
		{getpaid.Money{Minor: 12345, Currency: "PLN"}, "123.45"},
		{getpaid.Money{Minor: 999999999999, Currency: "PLN"}, "9999999999.99"},
		{getpaid.Money{Minor: 1999, Currency: "EUR"}, "19.99"},
		{getpaid.Money{Minor: 100, Currency: "USD"}, "1.00"},
		{getpaid.Money{Minor: 7005, Currency: "GBP"}, "70.05"},
		{getpaid.Money{Minor: 50000, Currency: "CZK"}, "500.00"},
	}
	for _, tt := range tests {
		t.Run(tt.money.String(), func(t *testing.T) {
			t.Parallel()
			sim, rec := recordedSim(t, tpaytest.Config{Currency: tt.money.Currency})
			b := newBroker(t, sim, func(c *tpay.Config) { c.Currencies = []string{tt.money.Currency} })
			p := prepared(t, b, tt.money)
			reqs := rec.requests(http.MethodPost, "/transactions")
			if len(reqs) != 1 {
				t.Fatalf("%d create requests", len(reqs))
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(reqs[0].Body, &raw); err != nil {
				t.Fatal(err)
			}
			if got := string(raw["amount"]); got != tt.wire {
				t.Fatalf("amount on the wire %s, want %s", got, tt.wire)
			}
			var in struct {
				Currency, HiddenDescription string
				Callbacks                   struct {
					PayerURLs    struct{ Success, Error string } `json:"payerUrls"`
					Notification struct{ URL string }
				}
				Payer struct{ Email, Name string }
			}
			_ = json.Unmarshal(reqs[0].Body, &in)
			want := "https://shop.example/payments"
			if in.Currency != tt.money.Currency || in.HiddenDescription != p.ID || in.Payer.Email != "jan@example.com" || in.Payer.Name == "" ||
				in.Callbacks.Notification.URL != want+"/callback/tpay" || in.Callbacks.PayerURLs.Success != want+"/success/"+p.ID ||
				in.Callbacks.PayerURLs.Error != want+"/failure/"+p.ID {
				t.Fatalf("create request %s", reqs[0].Body)
			}
			if h := reqs[0].Header.Get("Authorization"); len(h) < 8 || h[:7] != "Bearer " {
				t.Fatalf("Authorization %q", h)
			}
			u, _ := url.Parse(p.Redirect.URL)
			if p.Redirect.Method != http.MethodGet || u.Path != "/pay/"+p.ExternalID {
				t.Fatalf("redirect %+v", p.Redirect)
			}
		})
	}
}

// The OAuth request is form-encoded, as Tpay documents, with the scope
// Tpay's official SDK asks for (brokers.md: client_id, client_secret, scope).
func TestOAuthRequestForm(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{ClientID: "cid", ClientSecret: "sec"})
	b := newBroker(t, sim, nil)
	prepared(t, b, getpaid.MustParseMoney("1.00", "PLN"))
	reqs := rec.requests(http.MethodPost, "/oauth/auth")
	if len(reqs) != 1 || reqs[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("oauth requests %+v", reqs)
	}
	v, _ := url.ParseQuery(string(reqs[0].Body))
	if v.Get("client_id") != "cid" || v.Get("client_secret") != "sec" || v.Get("scope") != "read" {
		t.Fatalf("oauth form %q", reqs[0].Body)
	}
}

// Prepare refuses what Tpay cannot take before calling it.
func TestPrepareRefusals(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	_ = b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://shop.example", nil))
	for name, tt := range map[string]struct {
		p    getpaid.Payment
		want error
	}{
		"currency not taken": {getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("1.00", "EUR"), Buyer: getpaid.Buyer{Email: "a@b.pl"}}, getpaid.ErrCurrencyNotAccepted},
		"nothing to pay":     {getpaid.Payment{ID: "pay_1", Amount: getpaid.Money{Currency: "PLN"}, Buyer: getpaid.Buyer{Email: "a@b.pl"}}, getpaid.ErrInvalidAmount},
		"no buyer email":     {getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("1.00", "PLN")}, getpaid.ErrInvalidRequest},
	} {
		if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: &tt.p}); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
	if n := len(rec.requests(http.MethodPost, "/transactions")); n != 0 {
		t.Fatalf("%d transactions registered", n)
	}
	unprovisioned := newBroker(t, sim, nil)
	if _, err := unprovisioned.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: &getpaid.Payment{ID: "pay_1",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@b.pl"}}}); err == nil {
		t.Fatal("Prepare before Provision")
	}
}

// A token Tpay says lives for years (expires_in 1e9 s) is replaced within
// brokerhttp.MaxTokenLife all the same: it was kept for 31 years.
func TestTokenHugeExpiresInBounded(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{TokenTTL: 1e9 * time.Second})
	clk := &clock{now: time.Now()}
	b := newBroker(t, sim, func(c *tpay.Config) { c.Now = clk.Now })
	p := prepared(t, b, getpaid.MustParseMoney("10.00", "PLN"))
	clk.Add(24 * time.Hour)
	if _, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p}); err != nil || sim.TokenRequests() != 2 {
		t.Fatalf("a day later: %v, %d tokens, want 2", err, sim.TokenRequests())
	}
}
