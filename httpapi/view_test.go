package httpapi_test

import (
	"bytes"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// separateReads hides the store's optional capabilities (PaymentViewer
// among them): the engine reads a payment, its history and its operations
// separately, as it did before stores could read them at once.
type separateReads struct{ getpaid.Store }

// GET /api/v1/payments/{id} answers byte for byte the same whether the
// store reads the payment with its history and operations at once (the
// PostgreSQL store's PaymentViewer) or the engine reads them separately.
func TestGetPaymentSameWithAndWithoutViewer(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		separate := newEnv(t, envOpts{useStore: e.store, wrapStore: func(s getpaid.Store) getpaid.Store { return separateReads{s} }})
		paid := e.paidThroughPaywall("o-view", "10.00")
		for _, key := range []string{"k-1", "k-2"} {
			if code, a, _ := e.action(paid.ID, "refund", "1.50", keyed(key)); code != 200 {
				t.Fatalf("refund %s: %d %+v", key, code, a.Error)
			}
		}
		prepared := e.create("o-view-2", "5.00", "PLN", "dummy")
		for _, id := range []string{paid.ID, prepared.ID, "pay_missing"} {
			got, gotBody := e.do("GET", "/api/v1/payments/"+id, nil, auth)
			want, wantBody := separate.do("GET", "/api/v1/payments/"+id, nil, auth)
			if got.StatusCode != want.StatusCode || !bytes.Equal(gotBody, wantBody) {
				t.Errorf("GET %s:\n  store as is: %d %s\n  separate reads: %d %s", id, got.StatusCode, gotBody, want.StatusCode, wantBody)
			}
		}
		if p := e.payment(paid.ID); len(p.Operations) != 2 || len(p.History) < 3 {
			t.Errorf("paid and twice refunded: %d operations, %d transitions; want 2 and at least 3", len(p.Operations), len(p.History))
		}
	})
}
