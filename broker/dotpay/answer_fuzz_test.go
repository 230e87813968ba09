package dotpay

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

// FuzzOperationsAnswer: whatever the seller API (or something in its place)
// answers 200 to the operations lookup of a payment (GET
// operations/?control=pay_1), the payment is reported from its own payment
// operations (control pay_1, type payment), or the lookup fails with a
// *getpaid.BrokerError: captured (Full) only when one of them is
// completed, with that operation's amount; pending only when one is
// processing and none completed; failed only when every one of them is
// rejected; nothing new otherwise. Another payment's operation, a refund,
// or a page without results never moves the payment. The committed seeds
// (testdata/fuzz) are a completed, processing, new and rejected payment, a
// retry after a rejection, another payment's and a refund operation, and
// answers that are not the seller API's.
func FuzzOperationsAnswer(f *testing.F) {
	var mu sync.Mutex
	var answer []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(answer)
	}))
	f.Cleanup(srv.Close)
	b, err := New(Config{ShopID: "123456", PIN: fuzzPIN, APIURL: srv.URL, APIUsername: "user", APIPassword: "pass"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		mu.Lock()
		answer = body
		mu.Unlock()
		p := &getpaid.Payment{ID: "pay_1", Backend: "dotpay", Amount: getpaid.MustParseMoney("10.00", "PLN")}
		o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
		if err != nil {
			var be *getpaid.BrokerError
			if !errors.As(err, &be) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		// A strict reading of the page: the payment's own operations.
		var page struct {
			Results []apiOperation `json:"results"`
		}
		if json.Unmarshal(body, &page) != nil || page.Results == nil {
			t.Fatalf("answer %q, which is not an operations page, read as %+v", body, o)
		}
		statuses := map[string]bool{}
		amounts := map[getpaid.Money]bool{}
		for _, op := range page.Results {
			if op.Control != p.ID || op.Type != TypePayment {
				continue
			}
			statuses[op.Status] = true
			if op.Status == StatusCompleted {
				if m, err := op.money(); err == nil {
					amounts[m] = true
				}
			}
		}
		processing := statuses[StatusProcessing] || statuses[StatusRealizationWaiting] || statuses[StatusRealizationProgress]
		if o.PaymentID != p.ID {
			t.Fatalf("answer %q read for payment %q", body, o.PaymentID)
		}
		switch o.Kind {
		case getpaid.KindCaptured:
			if !o.Full || !amounts[o.Amount] {
				t.Fatalf("answer %q read as captured %s (full %v), not a completed payment operation's", body, o.Amount, o.Full)
			}
		case getpaid.KindPending:
			if !processing || statuses[StatusCompleted] {
				t.Fatalf("answer %q read as pending", body)
			}
		case getpaid.KindFailed:
			if !statuses[StatusRejected] || statuses[StatusCompleted] || processing || statuses[StatusNew] {
				t.Fatalf("answer %q read as failed", body)
			}
		case getpaid.KindNone:
			if statuses[StatusCompleted] || processing || (statuses[StatusRejected] && !statuses[StatusNew]) {
				t.Fatalf("answer %q read as nothing new", body)
			}
		default:
			t.Fatalf("answer %q read as %s", body, o.Kind)
		}
	})
}
