package tpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzTransactionAnswer: whatever Tpay (or something in its place) answers
// 200 to the transaction lookup (GET /transactions/TR-1), the payment is
// reported from the transaction's status, amount and payments.amountPaid,
// or the lookup fails with a *getpaid.BrokerError (or
// getpaid.ErrAmountMismatch for another currency): captured only for
// status paid or correct, never more than the transaction's amount, Full
// only with that whole amount; an advance only for status error with money
// paid; released only for a cancelled or expired transaction; nothing new
// otherwise. An answer without result "success" or a title is never read
// as a status. The committed seeds (testdata/fuzz) are each status, a
// partial and an over-payment, another currency, and answers that are not
// Tpay's.
func FuzzTransactionAnswer(f *testing.F) {
	b, answer := answering(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "TR-1", Backend: "tpay", Amount: getpaid.MustParseMoney("10.00", "PLN")}
		o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
		// A strict reading of the answer (amounts as Amount reads them).
		var doc struct {
			Result   string `json:"result"`
			Title    string `json:"title"`
			Status   string `json:"status"`
			Amount   Amount `json:"amount"`
			Currency string `json:"currency"`
			Payments struct {
				AmountPaid Amount `json:"amountPaid"`
			} `json:"payments"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		isDoc := dec.Decode(&doc) == nil && doc.Result == "success" && doc.Title != ""
		var be *getpaid.BrokerError
		switch {
		case errors.Is(err, getpaid.ErrAmountMismatch):
			if !isDoc || doc.Currency == "" || doc.Currency == p.Amount.Currency {
				t.Fatalf("answer %q refused as another currency: %v", body, err)
			}
			return
		case err != nil:
			if !errors.As(err, &be) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !isDoc {
			t.Fatalf("answer %q, which is not a transaction, read as %+v", body, o)
		}
		if o.PaymentID != p.ID {
			t.Fatalf("answer %q read for payment %q", body, o.PaymentID)
		}
		amount, err1 := doc.Amount.Money(p.Amount.Currency)
		paid, err2 := doc.Payments.AmountPaid.Money(p.Amount.Currency)
		if err1 != nil || err2 != nil {
			t.Fatalf("answer %q with unreadable amounts (%v, %v) read as %+v", body, err1, err2, o)
		}
		if doc.Currency != "" && doc.Currency != p.Amount.Currency {
			t.Fatalf("answer %q in %s read as %+v", body, doc.Currency, o)
		}
		status := strings.ToLower(doc.Status)
		switch o.Kind {
		case getpaid.KindCaptured:
			if status != StatusPaid && status != StatusCorrect {
				t.Fatalf("answer %q with status %q read as captured", body, doc.Status)
			}
			if o.Amount.Currency != p.Amount.Currency || o.Amount.Minor > amount.Minor || o.Full != (o.Amount == amount) {
				t.Fatalf("answer %q (amount %s, paid %s) read as captured %s, full %v", body, amount, paid, o.Amount, o.Full)
			}
			if paid.Minor != 0 && o.Amount.Minor != min(paid.Minor, amount.Minor) {
				t.Fatalf("answer %q (amount %s, paid %s) read as captured %s", body, amount, paid, o.Amount)
			}
		case getpaid.KindAdvance:
			if status != StatusError || paid.Minor <= 0 || o.Amount != paid {
				t.Fatalf("answer %q read as an advance of %s", body, o.Amount)
			}
		case getpaid.KindReleased:
			switch status {
			case StatusCanceled, "canceled", "cancelled", "expired":
			default:
				t.Fatalf("answer %q with status %q read as released", body, doc.Status)
			}
		case getpaid.KindNone:
			if status == StatusPaid || status == StatusCorrect {
				t.Fatalf("answer %q with status %q read as nothing new", body, doc.Status)
			}
		default:
			t.Fatalf("answer %q read as %s", body, o.Kind)
		}
	})
}

// FuzzRefundListAnswer: whatever Tpay (or something in its place) answers
// 200 to the refund list of a transaction (GET /transactions/TR-1/refunds),
// the refund getpaid asks about (refundId rf_1) is reported from its own
// entry with that entry's amount, or the lookup fails: with
// getpaid.ErrNotFound only when the answer is a refund list (refunds or
// refundsList an array, or null) without it, since the reconciler then
// takes a refund in doubt for one that never reached Tpay and frees its
// amount to be refunded again; otherwise with a *getpaid.BrokerError. The
// committed seeds (testdata/fuzz) are the refund done, pending and
// cancelled, another refund only, refundsList, and answers without a list.
func FuzzRefundListAnswer(f *testing.F) {
	// The transaction the refunds are of, as Tpay answers it.
	b, answer := answering(f, map[string]string{"/transactions/TR-1": `{"result":"success","transactionId":"TR-1","title":"TR-1","status":"correct","amount":10.00,"currency":"PLN","payments":{"status":"correct","amountPaid":10.00}}`})
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "TR-1", Backend: "tpay", Amount: getpaid.MustParseMoney("10.00", "PLN"),
			Captured: 1000, RefundAsked: 500}
		op := &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Money(500), BrokerRef: "rf_1", State: getpaid.OpPending}
		o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p, Operation: op})
		// A strict reading of the answer.
		var doc struct {
			Result      string          `json:"result"`
			Refunds     json.RawMessage `json:"refunds"`
			RefundsList json.RawMessage `json:"refundsList"`
		}
		var lists [][]refund
		isList := json.Unmarshal(body, &doc) == nil && doc.Result == "success" && (doc.Refunds != nil || doc.RefundsList != nil)
		for _, raw := range []json.RawMessage{doc.Refunds, doc.RefundsList} {
			if !isList || raw == nil {
				continue
			}
			var l []refund
			if json.Unmarshal(raw, &l) != nil {
				isList = false
				break
			}
			lists = append(lists, l)
		}
		var be *getpaid.BrokerError
		switch {
		case errors.Is(err, getpaid.ErrNotFound):
			if !isList {
				t.Fatalf("answer %q, which is no refund list, read as no such refund: %v", body, err)
			}
			return
		case err != nil:
			if !errors.As(err, &be) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !isList {
			t.Fatalf("answer %q, which is no refund list, read as %+v", body, o)
		}
		var entry *refund
		for _, l := range lists {
			for i := range l {
				if entry == nil && l[i].ref() == op.BrokerRef {
					entry = &l[i]
				}
			}
		}
		if entry == nil || o.OperationID != op.ID || o.PaymentID != p.ID || o.BrokerRef != op.BrokerRef {
			t.Fatalf("answer %q read as %+v (entry %+v)", body, o, entry)
		}
		if m, err := entry.Amount.Money(p.Amount.Currency); err != nil || o.Amount != m || m.Minor <= 0 {
			t.Fatalf("answer %q (amount %q) read as %s", body, string(entry.Amount), o.Amount)
		}
		if o.Kind != refundState(entry.Status) {
			t.Fatalf("answer %q (status %q) read as %s", body, entry.Status, o.Kind)
		}
	})
}

// answering is a Tpay client of a server that gives it a token, answers
// the paths in fixed with their bodies, and every other request 200 with
// the body last given to answer (a fuzz target's input).
func answering(f *testing.F, fixed map[string]string) (b *Broker, answer func(body []byte)) {
	var mu sync.Mutex
	var last []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			_, _ = w.Write([]byte(`{"issued_at":1,"scope":"read","token_type":"Bearer","expires_in":7200,"client_id":"id","access_token":"tok"}`))
			return
		}
		if body, ok := fixed[r.URL.Path]; ok {
			_, _ = w.Write([]byte(body))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(last)
	}))
	f.Cleanup(srv.Close)
	b, err := New(Config{ClientID: "id", ClientSecret: "s", MerchantID: 1010, SecurityCode: "demo", APIURL: srv.URL})
	if err != nil {
		f.Fatal(err)
	}
	return b, func(v []byte) {
		mu.Lock()
		last = v
		mu.Unlock()
	}
}
