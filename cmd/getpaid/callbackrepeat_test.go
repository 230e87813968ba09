package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// callback check said of a notification serve had applied before (PayU
// sending it again) what it said of its first delivery: "would change the
// payment: partially_refunded -> partially_refunded" of a repeated refund,
// "would change nothing: the payment already says so" of a repeated
// COMPLETED, where serve answers both as duplicates (their event's key is
// applied) and changes nothing. It now names every such repeat a duplicate.
func TestCallbackCheckRepeatIsDuplicate(t *testing.T) {
	t.Parallel()
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	completed := func(id string) string {
		return `{"order":{"orderId":"WZ-1","extOrderId":"` + id + `","currencyCode":"PLN","totalAmount":"15000","status":"COMPLETED"}}`
	}
	refund := func(id, amount string) string {
		return `{"orderId":"WZ-1","extOrderId":"` + id + `","refund":{"refundId":"R-1","amount":"` + amount + `","currencyCode":"PLN","status":"FINALIZED"}}`
	}
	signed := func(body string) http.Header {
		h := http.Header{}
		h.Set("OpenPayu-Signature", strings.TrimPrefix(payuHeader("SHA-256", body, key), "OpenPayu-Signature: "))
		return h
	}
	for _, tt := range []struct {
		name    string
		applied func(id string) []string // notifications serve applied
		check   func(id string) string
		want    string
	}{
		{"paid, again", func(id string) []string { return []string{completed(id)} }, completed,
			"would change nothing: a duplicate (its event WZ-1:COMPLETED was applied before)"},
		{"refunded in part, again", func(id string) []string { return []string{completed(id), refund(id, "4000")} },
			func(id string) string { return refund(id, "4000") },
			"would change nothing: a duplicate (its event refund:R-1:FINALIZED was applied before)"},
		{"refunded in full, again", func(id string) []string { return []string{completed(id), refund(id, "15000")} },
			func(id string) string { return refund(id, "15000") },
			"would change nothing: a duplicate"},
		{"paid, first", func(string) []string { return nil }, completed,
			"would change the payment: new -> paid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "getpaid.db")
			path := writeConfig(t, strings.Replace(payuConfig, `"memory:"`, "sqlite:"+db, 1))
			c, err := loadConfig(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := buildRegistry(c)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			store, err := openStore(ctx, c.Database)
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
				ExternalID: "WZ-1", Amount: getpaid.MustParseMoney("150.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := store.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			ecfg, err := engineConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.NoDelivery = store, reg, slog.New(slog.DiscardHandler), true
			eng, err := engine.New(ecfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range tt.applied(p.ID) {
				res, err := eng.HandleCallback(ctx, "payu", &getpaid.CallbackRequest{Method: http.MethodPost, Header: signed(body), Body: []byte(body)})
				if err != nil || res.Outcome != getpaid.OutcomeApplied {
					t.Fatalf("serve: %v %+v, want applied", err, res)
				}
			}
			body := tt.check(p.ID)
			if applied := tt.applied(p.ID); len(applied) > 0 && body == applied[len(applied)-1] {
				// serve answers it as a duplicate, and changes nothing.
				res, err := eng.HandleCallback(ctx, "payu", &getpaid.CallbackRequest{Method: http.MethodPost, Header: signed(body), Body: []byte(body)})
				if err != nil || res.Outcome != getpaid.OutcomeDuplicate {
					t.Fatalf("serve, again: %v %+v, want a duplicate", err, res)
				}
			}
			_ = eng.Close()
			if err := store.Close(); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "payu", "--header", payuHeader("SHA-256", body, key))
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("code %d, want 0 and %q:\n%s%s", code, tt.want, out, stderr)
			}
		})
	}
}
