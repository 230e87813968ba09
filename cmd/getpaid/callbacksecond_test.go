package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// callback check said "would change nothing: the payment already says so"
// of a notification of another broker transaction than the one that paid
// the payment (a buyer who paid twice), and "would change the payment" of
// one capturing more than a partial payment, where serve records it as a
// second transaction, counts nothing and logs an error for a refund at the
// broker. It now names the second transaction; and a repeat of one
// already recorded (its event applied), which serve answers as a
// duplicate, is named as a duplicate, not as a second transaction again.
func TestCallbackCheckSecondTransaction(t *testing.T) {
	t.Parallel()
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	for _, tt := range []struct {
		name     string
		captured int64 // by the payment's own transaction, WZ-1
		order    string
		applied  bool // the notification's event was applied before
		want     string
	}{
		{"paid, another order", 15000, "WZ-2", false, "would record it as a second transaction of the payment (a buyer who paid twice): not counted, its money is at the broker"},
		{"partially paid, another order", 6000, "WZ-2", false, "would record it as a second transaction of the payment (a buyer who paid twice): not counted, its money is at the broker"},
		{"paid, its own order again", 15000, "WZ-1", false, "would change nothing: the payment already says so"},
		{"paid, another order's repeat", 15000, "WZ-2", true, "would change nothing: a duplicate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "getpaid.db")
			s, err := sqlite.Open(ctx, db, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
				ExternalID: "WZ-1", Amount: getpaid.MustParseMoney("150.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "test", Apply: func(q *getpaid.Payment) (bool, error) {
				q.Captured = tt.captured
				q.Status = getpaid.StatusPaid
				if tt.captured < q.Amount.Minor {
					q.Status = getpaid.StatusPartiallyPaid
				}
				return true, nil
			}}); err != nil {
				t.Fatal(err)
			}
			if tt.applied {
				// As serve records a notification's event (PayU's id is
				// orderId:status).
				if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "payu:" + tt.order + ":COMPLETED",
					Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			path := writeConfig(t, strings.Replace(payuConfig, `"memory:"`, "sqlite:"+db, 1))
			body := `{"order":{"orderId":"` + tt.order + `","extOrderId":"` + p.ID + `","currencyCode":"PLN","totalAmount":"15000","status":"COMPLETED"}}`
			code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "payu", "--header", payuHeader("SHA-256", body, key))
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("code %d, want 0 and %q:\n%s%s", code, tt.want, out, stderr)
			}
		})
	}
}
