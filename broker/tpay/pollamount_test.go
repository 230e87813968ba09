package tpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/brokertest"
)

// A status lookup of a transaction of another amount than the payment's
// (Tpay's amount next to payments.amountPaid, as tr_amount next to tr_paid
// in a notification) is refused whatever it reports: a transaction of
// 200.00 underpaid by 100.00 and accepted made a payment of 100.00 paid,
// which the same fact in a notification is refused for.
func TestPollOfTransactionOfAnotherAmountRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tx string
		want     getpaid.Status
		mismatch bool
	}{
		{"another amount, underpaid to the payment's", `"status":"correct","amount":200.00,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`, getpaid.StatusPrepared, true},
		{"another amount, paid status", `"status":"paid","amount":200.00,"currency":"PLN","payments":{"status":"paid","amountPaid":100.00}`, getpaid.StatusPrepared, true},
		{"the payment's amount, paid", `"status":"correct","amount":100.00,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`, getpaid.StatusPaid, false},
		{"the payment's amount, underpaid and accepted", `"status":"correct","amount":100.00,"currency":"PLN","payments":{"status":"correct","amountPaid":40.00}`, getpaid.StatusPartiallyPaid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var txID string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.URL.Path == "/oauth/auth":
					_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":7200}`))
				case r.Method == http.MethodPost && r.URL.Path == "/transactions":
					_, _ = w.Write([]byte(`{"result":"success","transactionId":"ta_1","title":"TR-1","status":"pending","transactionPaymentUrl":"https://secure.tpay.com/?title=TR-1"}`))
				case r.Method == http.MethodGet && r.URL.Path == "/transactions/ta_1":
					_, _ = w.Write([]byte(`{"result":"success","transactionId":"ta_1","title":"TR-1",` + tt.tx + `}`))
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			ctx := context.Background()
			eng := brokertest.NewEngine(t, "https://shop.example/gp", getpaid.Backend{Name: "tpay", Broker: answerBroker(t, srv.URL)})
			p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "tpay", Amount: getpaid.MustParseMoney("100.00", "PLN"),
				Buyer: getpaid.Buyer{Email: "jan@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			txID = p.ExternalID
			q, err := eng.Poll(ctx, p.ID)
			if tt.mismatch != errors.Is(err, getpaid.ErrAmountMismatch) {
				t.Fatalf("poll of %s (%s): %v, want amount mismatch %v", tt.tx, txID, err, tt.mismatch)
			}
			if q, _ = eng.Payment(ctx, p.ID); q.Status != tt.want || (tt.mismatch && q.Captured != 0) {
				t.Fatalf("poll of %s: payment %s captured %d, want %s", tt.tx, q.Status, q.Captured, tt.want)
			}
		})
	}
}
