package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Two points of sale, one per currency, as PayU sets them up.
var (
	posPLN = payutest.Config{PosID: "300746", SecondKey: "b6ca15b0d1020e8094d9b5f8d163db54",
		ClientSecret: "2ee86a66e5d97e3fadc400c9f19b065d", NotifyBackoff: 10 * time.Millisecond}
	posEUR = payutest.Config{PosID: "400231", SecondKey: "5f2c8e1a9b7d4c3e8f1a2b3c4d5e6f70",
		ClientSecret: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", NotifyBackoff: 10 * time.Millisecond}
)

// twoPayUConfig is a getpaid.yaml with one PayU backend per currency.
func twoPayUConfig(base, db, plnURL, eurURL string) string {
	return fmt.Sprintf(`base_url: %s
database: sqlite:%s
api_keys: [%s]
backends:
  payu_pln:
    kind: payu
    title: PayU (złoty)
    pos_id: %q
    second_key: %s
    client_id: %q
    client_secret: %s
    api_url: %s
    currencies: [PLN]
  payu_eur:
    kind: payu
    title: PayU (euro)
    pos_id: %q
    second_key: %s
    client_id: %q
    client_secret: %s
    api_url: %s
    currencies: [EUR]
`, base, db, testAPIKey,
		posPLN.PosID, posPLN.SecondKey, posPLN.PosID, posPLN.ClientSecret, plnURL,
		posEUR.PosID, posEUR.SecondKey, posEUR.PosID, posEUR.ClientSecret, eurURL)
}

// Issue 7: two PayU backends with different POS ids and currencies serve
// payments side by side in one server, each through its own point of sale
// and its own callback URL; each is offered for its currency only; the
// tools know them by name.
func TestTwoPayUBackendsSideBySide(t *testing.T) {
	t.Parallel()
	simPLN, simEUR := payutest.Start(posPLN), payutest.Start(posEUR)
	t.Cleanup(simPLN.Close)
	t.Cleanup(simEUR.Close)
	ln := listen(t, "127.0.0.1:0")
	base := "http://" + ln.Addr().String()
	cfg := twoPayUConfig(base, filepath.Join(t.TempDir(), "getpaid.db"), simPLN.URL(), simEUR.URL())
	srv := startServe(t, ln, cfg)

	t.Run("each backend is listed for its currency only", func(t *testing.T) {
		for cur, want := range map[string]string{"PLN": "payu_pln", "EUR": "payu_eur", "USD": ""} {
			status, body := srv.api("GET", "/api/v1/backends?currency="+cur, nil)
			names := []string{}
			for _, n := range []string{"payu_pln", "payu_eur"} {
				if strings.Contains(string(body), `"name":"`+n+`"`) {
					names = append(names, n)
				}
			}
			if status != 200 || strings.Join(names, ",") != want {
				t.Errorf("backends for %s: %d %v, want [%s]", cur, status, names, want)
			}
		}
	})

	type run struct {
		sim      *payutest.Server
		backend  string
		currency string
		pos      string
		p        httpapi.PaymentJSON
	}
	runs := []*run{
		{sim: simPLN, backend: "payu_pln", currency: "PLN", pos: posPLN.PosID},
		{sim: simEUR, backend: "payu_eur", currency: "EUR", pos: posEUR.PosID},
	}
	t.Run("payments side by side", func(t *testing.T) {
		for _, r := range runs {
			r.p = srv.create("order-"+r.currency, "123.45", r.currency, r.backend)
			if r.p.Status != getpaid.StatusPrepared || r.p.Redirect == nil || !strings.HasPrefix(r.p.Redirect.URL, r.sim.URL()) {
				t.Fatalf("%s: %s, redirect %+v; want prepared at its own PayU", r.backend, r.p.Status, r.p.Redirect)
			}
			if _, ok := r.sim.Order(r.p.ExternalID); !ok {
				t.Fatalf("%s: PayU order %s is not at the %s point of sale", r.backend, r.p.ExternalID, r.pos)
			}
		}
		// The other currency is refused by each, before any broker call.
		for _, r := range runs {
			other := map[string]string{"PLN": "EUR", "EUR": "PLN"}[r.currency]
			status, body := srv.api("POST", "/api/v1/payments", map[string]any{"order_id": "x", "amount": "1.00", "currency": other, "backend": r.backend})
			if status != 422 || !strings.Contains(string(body), `"field":"currency"`) {
				t.Fatalf("%s in %s: %d %s, want 422 naming currency", r.backend, other, status, body)
			}
		}
		for _, r := range runs {
			rd := &getpaid.Redirect{Method: r.p.Redirect.Method, URL: r.p.Redirect.URL, Fields: r.p.Redirect.Fields}
			if err := r.sim.Pay(context.Background(), rd, payutest.OutcomePaid); err != nil {
				t.Fatalf("%s: pay: %v", r.backend, err)
			}
		}
		for _, r := range runs {
			got := srv.waitStatus(r.p.ID, "paid")
			if got.Backend != r.backend || got.Captured != "123.45" || got.Currency != r.currency {
				t.Fatalf("%s: paid as %+v", r.backend, got)
			}
			if err := r.sim.Quiet(context.Background()); err != nil {
				t.Fatal(err)
			}
			n := r.sim.Notifications()
			if len(n) == 0 {
				t.Fatalf("%s: no notification sent", r.backend)
			}
			for _, d := range n {
				if d.URL != base+"/callback/"+r.backend || d.StatusCode != http.StatusOK {
					t.Fatalf("%s: a notification went to %s and got %d, want %s/callback/%s and 200", r.backend, d.URL, d.StatusCode, base, r.backend)
				}
			}
		}
	})
	t.Run("a point of sale's notification is refused at the other's callback", func(t *testing.T) {
		n, err := simEUR.Notification(runs[1].p.ExternalID, "COMPLETED", "", "")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", base+"/callback/payu_pln", strings.NewReader(string(n.Body)))
		req.Header = n.Header.Clone()
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "signature_invalid") {
			t.Fatalf("EUR notification at /callback/payu_pln: %d %s, want 403", resp.StatusCode, body)
		}
	})
	t.Run("the payment-method form offers each for its currency only", func(t *testing.T) {
		// The serve handler has no orders of its own; a shop mounting
		// httpapi with its orders gets the form from the same engine.
		h, err := httpapi.New(httpapi.Config{Service: srv.srv.engine, Orders: getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
			cur := map[string]string{"o-pln": "PLN", "o-eur": "EUR"}[id]
			if cur == "" {
				return nil, getpaid.ErrNotFound
			}
			return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", cur), ReturnURL: "https://shop.example/" + id}, nil
		})})
		if err != nil {
			t.Fatal(err)
		}
		shop := httptest.NewServer(h)
		defer shop.Close()
		for order, want := range map[string][2]string{"o-pln": {"payu_pln", "payu_eur"}, "o-eur": {"payu_eur", "payu_pln"}} {
			form := get(t, shop.Client(), shop.URL+"/pay/"+order)
			if !strings.Contains(form, `value="`+want[0]+`"`) || strings.Contains(form, `value="`+want[1]+`"`) {
				t.Fatalf("form of %s offers the wrong backends (want %s only):\n%s", order, want[0], form)
			}
		}
	})
	t.Run("getpaid config and callback check use the names", func(t *testing.T) {
		path := writeConfig(t, cfg)
		code, out, stderr := runCLI(t, "", "config", "payu_pln", "--config", path, "--base-url", "https://shop.example/pay")
		if code != 0 || !strings.Contains(out, "https://shop.example/pay/callback/payu_pln") || !strings.Contains(out, posPLN.PosID) ||
			strings.Contains(out, "payu_eur") || strings.Contains(out, posEUR.PosID) {
			t.Fatalf("config payu_pln: code %d\n%s%s", code, out, stderr)
		}
		code, out, stderr = runCLI(t, "", "config", "payu_eur", "--config", path, "--base-url", "https://shop.example/pay")
		if code != 0 || !strings.Contains(out, "https://shop.example/pay/callback/payu_eur") || !strings.Contains(out, posEUR.PosID) {
			t.Fatalf("config payu_eur: code %d\n%s%s", code, out, stderr)
		}
		n, err := simEUR.Notification(runs[1].p.ExternalID, "COMPLETED", "", "")
		if err != nil {
			t.Fatal(err)
		}
		args := func(backend string) []string {
			a := []string{"callback", "check", "--config", path, "--backend", backend}
			for k, vs := range n.Header {
				for _, v := range vs {
					a = append(a, "--header", k+": "+v)
				}
			}
			return a
		}
		if code, out, _ := runCLI(t, string(n.Body), args("payu_eur")...); code != 0 || !strings.HasPrefix(out, "valid") || !strings.Contains(out, runs[1].p.ID) {
			t.Fatalf("callback check --backend payu_eur: code %d\n%s", code, out)
		}
		if code, out, _ := runCLI(t, string(n.Body), args("payu_pln")...); code != 1 || !strings.HasPrefix(out, "invalid: payu: callback signature invalid") {
			t.Fatalf("the EUR notification checked as payu_pln: code %d\n%s", code, out)
		}
	})
}

// Issue 7: Przelewy24 refunds after a restart carry the right urlStatus. A
// payment is paid through one server; a new one (new brokers, provisioned
// afresh, the same database and address) refunds it, and Przelewy24's refund
// notification comes back to the backend's callback URL.
func TestPrzelewy24RefundAfterRestart(t *testing.T) {
	t.Parallel()
	sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "acceptance-crc", APIKey: "acceptance-key",
		RetryUnit: 20 * time.Millisecond, MaxAttempts: 8})
	t.Cleanup(sim.Close)
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	base := "http://" + addr
	cfg := fmt.Sprintf(`base_url: %s
database: sqlite:%s
api_keys: [%s]
backends:
  p24_main:
    kind: przelewy24
    merchant_id: 11111
    crc: acceptance-crc
    api_key: acceptance-key
    api_url: %s
`, base, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey, sim.URL())

	first := startServe(t, ln, cfg)
	p := first.create("order-p24", "25.00", "PLN", "p24_main")
	rd := &getpaid.Redirect{Method: p.Redirect.Method, URL: p.Redirect.URL}
	if err := sim.Pay(context.Background(), rd, p24test.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	first.waitStatus(p.ID, "paid")
	if err := first.stop(); err != nil {
		t.Fatalf("first server: %v", err)
	}

	second := startServe(t, listen(t, addr), cfg)
	if status, body := second.api("POST", "/api/v1/payments/"+p.ID+"/refund", nil); status != http.StatusOK {
		t.Fatalf("refund after restart: %d %s", status, body)
	}
	got := second.waitStatus(p.ID, "refunded")
	if got.Refunded != "25.00" {
		t.Fatalf("refunded %s, want 25.00", got.Refunded)
	}
	if err := sim.Quiet(context.Background()); err != nil { // deliveries are logged once answered
		t.Fatal(err)
	}
	var refunds int
	for _, d := range sim.Notifications() {
		if d.Kind != "refund" {
			continue
		}
		refunds++
		if d.URL != base+"/callback/p24_main" {
			t.Fatalf("the refund's notification went to %q, want %s/callback/p24_main", d.URL, base)
		}
	}
	if refunds == 0 {
		t.Fatal("no refund notification was sent")
	}
}
