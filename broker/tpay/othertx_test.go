package tpay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/brokertest"
)

// pollAnswered creates a payment of 100.00 PLN at a fake Tpay (transaction
// ta_1) and polls it, Tpay answering GET /transactions/ta_1 with
// answer(payment id); it returns the payment after the poll and the poll's error.
func pollAnswered(t *testing.T, answer func(paymentID string) string) (*getpaid.Payment, error) {
	t.Helper()
	var payID string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/oauth/auth":
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":7200}`))
		case r.Method == http.MethodPost && r.URL.Path == "/transactions":
			_, _ = w.Write([]byte(`{"result":"success","transactionId":"ta_1","title":"TR-1","status":"pending","transactionPaymentUrl":"https://secure.tpay.com/?title=TR-1"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/transactions/ta_1":
			_, _ = w.Write([]byte(answer(payID)))
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
	payID = p.ID
	_, pollErr := eng.Poll(ctx, p.ID)
	q, err := eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return q, pollErr
}

// The lookup of a payment's transaction (GET /transactions/ta_1) answered
// with another transaction (another transactionId, or the hiddenDescription
// of another payment: a proxy's or cache's answer to another request) is
// not about this payment: it made the payment paid by another payment's
// money. It is now a retryable error that changes nothing.
func TestPollAnsweredWithAnotherTransactionRefused(t *testing.T) {
	t.Parallel()
	const tail = `"title":"TR-2","status":"correct","amount":100.00,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}}`
	tests := []struct {
		name, tx string // %s: the payment's id
		want     getpaid.Status
	}{
		{"another transactionId", `{"result":"success","transactionId":"ta_2","hiddenDescription":"%s",` + tail, getpaid.StatusPrepared},
		{"another payment's hiddenDescription", `{"result":"success","transactionId":"ta_1","hiddenDescription":"pay_other",` + tail, getpaid.StatusPrepared},
		{"this transaction", `{"result":"success","transactionId":"ta_1","hiddenDescription":"%s",` + tail, getpaid.StatusPaid},
		{"this transaction, no ids echoed", `{"result":"success",` + tail, getpaid.StatusPaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := pollAnswered(t, func(id string) string { return strings.Replace(tt.tx, "%s", id, 1) })
			if (tt.want == getpaid.StatusPrepared) != (err != nil) {
				t.Fatalf("poll: %v", err)
			}
			if err != nil && !getpaid.IsRetryable(err) {
				t.Fatalf("poll refused for good: %v", err)
			}
			if q.Status != tt.want || (tt.want == getpaid.StatusPrepared && q.Captured != 0) {
				t.Fatalf("after the poll: %s captured %d, want %s", q.Status, q.Captured, tt.want)
			}
		})
	}
}
