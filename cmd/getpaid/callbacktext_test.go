package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// callback check finds a payment by a broker id that is not text (a NUL,
// bytes of a cut character) as serve does: every store keeps such an id as
// getpaid.StorableText makes it, and serve's engine cleans the broker's
// words the same way before looking. Looked up as it came, it named no
// payment, and the check said serve would ignore the notification.
func TestCallbackCheckBrokerIDNotText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
		ExternalID: "WZ\x00GF5", Amount: getpaid.MustParseMoney("150.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "test", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Status = getpaid.StatusPrepared
		return true, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, strings.Replace(payuConfig, `"memory:"`, "sqlite:"+db, 1))
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	// extOrderId names no payment (as a shop's own extOrderId would): the
	// broker's order id is what finds it.
	body := `{"order":{"orderId":"WZ\u0000GF5","extOrderId":"shop-order-1","currencyCode":"PLN","totalAmount":"15000","status":"COMPLETED"}}`
	code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "payu", "--header", payuHeader("SHA-256", body, key))
	want := fmt.Sprintf("found: payment %s", p.ID)
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "would change the payment: prepared -> paid") {
		t.Fatalf("code %d, want 0 and %q:\n%s%s", code, want, out, stderr)
	}
}
