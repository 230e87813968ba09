package przelewy24

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

func TestRefund(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		amount     int64
		reject     bool
		wantKind   getpaid.Kind
		wantStatus getpaid.Status
		wantSim    int
	}{
		{"partial refund completed", 300, false, getpaid.KindRefunded, getpaid.StatusPartiallyRefunded, p24test.StatusVerified},
		{"full refund completed", 1000, false, getpaid.KindRefunded, getpaid.StatusRefunded, p24test.StatusReturned},
		{"refund rejected", 300, true, getpaid.KindRefundFailed, getpaid.StatusPaid, p24test.StatusVerified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			p := newPayment(1000, "PLN")
			e.paid(t, p)
			e.sim.SetRefundRejected(tc.reject)
			o, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(tc.amount), OperationID: getpaid.NewID("ref")})
			if err != nil {
				t.Fatalf("Refund: %v", err)
			}
			if o.Kind != getpaid.KindRefundStarted || o.Amount.Minor != tc.amount {
				t.Fatalf("refund observation %+v", o)
			}
			if _, err := getpaid.Apply(p, o); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "refund notification", func() bool { return len(e.recv.requests()) == 2 })
			rn, err := e.b.ParseCallback(ctx, e.recv.requests()[1])
			if err != nil {
				t.Fatalf("ParseCallback refund: %v", err)
			}
			if rn.Kind != tc.wantKind || rn.Amount.Minor != tc.amount || rn.PaymentID != p.ID {
				t.Fatalf("refund notification %+v", rn)
			}
			if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: rn}); err != nil {
				t.Fatalf("ConfirmCallback of a refund must be a no-op: %v", err)
			}
			if _, err := getpaid.Apply(p, rn); err != nil || p.Status != tc.wantStatus {
				t.Fatalf("Apply: %v, status %s want %s", err, p.Status, tc.wantStatus)
			}
			if st, _ := e.sim.Status(p.ID); st != tc.wantSim {
				t.Errorf("simulator status %d, want %d", st, tc.wantSim)
			}
			fs, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSim == p24test.StatusReturned && (fs.Kind != getpaid.KindNone || fs.BrokerStatus != "returned") {
				t.Errorf("FetchStatus of a returned payment %+v", fs)
			}
		})
	}
}

func TestRefundOverdraw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPayment(1000, "PLN")
	e.paid(t, p)
	_, err := e.b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(1001), OperationID: "ref_over"})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Retryable || be.Status != http.StatusConflict {
		t.Fatalf("err = %v, want a non-retryable 409", err)
	}
	if want := "The amount of refund exceeds available amount for the transaction"; be.Err.Error() != want {
		t.Errorf("error text %q", be.Err)
	}
}

func TestRefundFindsOrderIDByLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPayment(1000, "PLN")
	e.paid(t, p)
	p.ExternalID = "" // as if the notification's orderId had not been stored
	o, err := e.b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(100), OperationID: "ref_lookup"})
	if err != nil || o.ExternalID == "" {
		t.Fatalf("Refund: %+v %v", o, err)
	}
}

func TestRefundRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPayment(1000, "PLN")
	p.ExternalID = "300000001"
	tests := []struct {
		name    string
		amount  getpaid.Money
		id      string
		wantErr error
	}{
		{"other currency", getpaid.Money{Minor: 100, Currency: "EUR"}, "r1", getpaid.ErrAmountMismatch},
		{"zero amount", getpaid.Money{Minor: 0, Currency: "PLN"}, "r1", getpaid.ErrInvalidAmount},
		{"no refund id", getpaid.Money{Minor: 100, Currency: "PLN"}, "", getpaid.ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := e.b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: tc.amount, OperationID: tc.id}); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestFetchStatusUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: newPayment(100, "PLN")})
	if err != nil || o.Kind != getpaid.KindNone {
		t.Fatalf("FetchStatus of an unknown session: %+v %v", o, err)
	}
}

// Przelewy24 answers 400 "Concurrent call" while the same refund request is
// being carried out: it may still be made, so the refund is in doubt
// (Happened) for the reconciler to look up, never a refusal that did
// nothing.
func TestRefundConcurrentCall(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"Concurrent call","code":400}`))
			return
		}
		w.WriteHeader(http.StatusNotFound) // the refund lookup does not show it yet
		_, _ = w.Write([]byte(`{"error":"Refund with given Order Id not found","responseCode":0}`))
	}))
	t.Cleanup(srv.Close)
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "k", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil)); err != nil {
		t.Fatal(err)
	}
	p := newPayment(1000, "PLN")
	p.ExternalID = "300000001"
	_, err = b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(300), OperationID: "op_1"})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || !be.Happened || !be.Retryable {
		t.Fatalf("err = %#v, want a retryable BrokerError that may have happened", err)
	}
}
