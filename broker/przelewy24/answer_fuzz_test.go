package przelewy24

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzRefundLookupAnswer: whatever Przelewy24 (or something in its place)
// answers 200 to a refund lookup (GET /api/v1/refund/by/orderId/316), the
// refund is reported from its own entry (requestId) with that entry's
// amount, or the lookup fails: with getpaid.ErrNotFound only when the answer
// is a refund list of the order (data.refunds an array) without the
// refund, since the reconciler then takes a refund in doubt for one that
// never reached Przelewy24 and frees its amount to be refunded again;
// otherwise with a *getpaid.BrokerError. The committed seeds
// (testdata/fuzz) are the SDK's answer, each refund status, another
// refund's entry only, another currency, and answers without a list.
func FuzzRefundLookupAnswer(f *testing.F) {
	b, answer := answering(f)
	const opID = "op_1"
	requestID, _ := refundIDs(opID)
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "316", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN"), Captured: 1000}
		o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
			Operation: &getpaid.Operation{ID: opID, Kind: getpaid.OpRefund, Amount: p.Amount}})
		// A strict reading of the answer, as Przelewy24 documents it.
		var doc struct {
			Data *struct {
				Currency string            `json:"currency"`
				Refunds  []json.RawMessage `json:"refunds"`
			} `json:"data"`
		}
		isList := json.Unmarshal(body, &doc) == nil && doc.Data != nil && doc.Data.Refunds != nil
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
		var entry *refundInfo
		for _, raw := range doc.Data.Refunds {
			var r refundInfo
			if json.Unmarshal(raw, &r) == nil && r.RequestID == requestID {
				entry = &r
				break
			}
		}
		if entry == nil || o.Amount.Minor != entry.Amount || o.OperationID != opID || o.PaymentID != p.ID {
			t.Fatalf("answer %q read as %+v (entry %+v)", body, o, entry)
		}
		switch o.Kind {
		case getpaid.KindRefunded, getpaid.KindRefundStarted, getpaid.KindRefundFailed:
		default:
			t.Fatalf("answer %q read as %s", body, o.Kind)
		}
		if cur := doc.Data.Currency; o.Amount.Currency != cur && (cur != "" || o.Amount.Currency != p.Amount.Currency) {
			t.Fatalf("answer %q in %q read in %s", body, cur, o.Amount.Currency)
		}
	})
}

// answering is a Przelewy24 client of a server that answers every request
// 200 with the body last given to answer (a fuzz target's input).
func answering(f *testing.F) (b *Broker, answer func(body []byte)) {
	var mu sync.Mutex
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(body)
	}))
	f.Cleanup(srv.Close)
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: srv.URL})
	if err != nil {
		f.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil)); err != nil {
		f.Fatal(err)
	}
	return b, func(v []byte) {
		mu.Lock()
		body = v
		mu.Unlock()
	}
}
