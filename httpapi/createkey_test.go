package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/broker/dummy"
)

// A create sent again with its Idempotency-Key (the first answer was lost)
// answers as the first did: 201 with the same payment, in its state now,
// and the same Location; nothing new is stored. The key used for another
// request, or malformed, is 422 naming Idempotency-Key and stores nothing.
func TestCreateWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		body := map[string]any{"order_id": "o-key", "amount": "10.00", "currency": "PLN", "backend": "dummy",
			"description": "Order o-key", "buyer": map[string]string{"email": "buyer@example.com"}}
		hdr := map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": "create-o-key-1"}
		first, raw := e.do("POST", "/api/v1/payments", body, hdr)
		if first.StatusCode != 201 {
			t.Fatalf("create: %d %s", first.StatusCode, raw)
		}
		var p struct {
			ID, Status string
			Key        string `json:"idempotency_key"`
		}
		if err := jsonUnmarshal(raw, &p); err != nil || p.Key != "create-o-key-1" {
			t.Fatalf("create answered %s (%v); want the payment with its idempotency_key", raw, err)
		}
		again, raw := e.do("POST", "/api/v1/payments", body, hdr)
		var q struct{ ID, Status string }
		if err := jsonUnmarshal(raw, &q); err != nil || again.StatusCode != 201 || q.ID != p.ID {
			t.Fatalf("repeated create: %d %s; want 201 and payment %s", again.StatusCode, raw, p.ID)
		}
		if a, b := first.Header.Get("Location"), again.Header.Get("Location"); a != b {
			t.Errorf("Location %q, then %q", a, b)
		}
		if n := len(e.byOrder("o-key")); n != 1 {
			t.Errorf("%d payments stored for the order, want 1", n)
		}

		// Paid meanwhile: the retry gets the payment as it is now.
		cb, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e-key", Status: "paid", Amount: "10.00", Currency: "PLN"})
		if resp, raw := e.callback(cb, sig); resp.StatusCode != 200 {
			t.Fatalf("callback: %d %s", resp.StatusCode, raw)
		}
		_, raw = e.do("POST", "/api/v1/payments", body, hdr)
		if err := jsonUnmarshal(raw, &q); err != nil || q.ID != p.ID || q.Status != "paid" {
			t.Errorf("create repeated after the payment was paid: %s; want payment %s, paid", raw, p.ID)
		}

		for _, tc := range []struct {
			name, key string
			change    func(map[string]any)
		}{
			{"the key for another amount", "create-o-key-1", func(b map[string]any) { b["amount"] = "10.01" }},
			{"the key for another order", "create-o-key-1", func(b map[string]any) { b["order_id"] = "o-key-2" }},
			{"a key not in ASCII", "klucz-ż", func(map[string]any) {}},
			{"a key of 256 characters", strings.Repeat("k", 256), func(map[string]any) {}},
		} {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			b["order_id"] = "o-key-3"
			if tc.key == "create-o-key-1" {
				b["order_id"] = "o-key"
			}
			tc.change(b)
			resp, raw := e.do("POST", "/api/v1/payments", b, map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": tc.key})
			var out errorBody
			if err := jsonUnmarshal(raw, &out); err != nil || resp.StatusCode != 422 || out.Error.Field != "Idempotency-Key" {
				t.Errorf("%s: %d %s; want 422 naming Idempotency-Key", tc.name, resp.StatusCode, raw)
			}
			if n := len(e.byOrder("o-key")) + len(e.byOrder("o-key-2")) + len(e.byOrder("o-key-3")); n != 1 {
				t.Errorf("%s: %d payments stored, want the first alone", tc.name, n)
			}
		}
	})
}

// An Idempotency-Key header that is there but empty, or given twice, is
// 422 naming it, on a create and on a refund alike, and nothing is done:
// either would drop the protection the caller meant to ask for.
func TestIdempotencyKeyHeaderEmptyOrTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-key-hdr-paid", "10.00")
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"empty", []string{""}},
		{"twice", []string{"k1", "k2"}},
		{"twice the same", []string{"k1", "k1"}},
	} {
		for _, call := range []struct{ what, path, order string }{
			{"create", "/api/v1/payments", "o-key-hdr"},
			{"refund", "/api/v1/payments/" + p.ID + "/refund", ""},
		} {
			body := `{}`
			if call.order != "" {
				body = `{"order_id":"o-key-hdr","amount":"10.00","currency":"PLN","backend":"dummy"}`
			}
			req, err := http.NewRequest("POST", e.srv.URL+call.path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header["Idempotency-Key"] = tc.values
			resp, raw := e.send(req, map[string]string{"Authorization": auth["Authorization"], "Content-Type": "application/json"})
			var out errorBody
			if err := jsonUnmarshal(raw, &out); err != nil || resp.StatusCode != 422 || out.Error.Field != "Idempotency-Key" {
				t.Errorf("%s, key %s: %d %s; want 422 naming Idempotency-Key", call.what, tc.name, resp.StatusCode, raw)
			}
		}
	}
	if n := len(e.byOrder("o-key-hdr")); n != 0 {
		t.Errorf("%d payments stored, want none", n)
	}
	if got := e.payment(p.ID); got.Refunded != "0.00" {
		t.Errorf("refunded %s, want nothing", got.Refunded)
	}
}
