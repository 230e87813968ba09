package przelewy24

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzStatusAnswer: whatever Przelewy24 (or something in its place) answers
// 200 to the status lookup (GET /api/v1/transaction/by/sessionId/pay_1), the
// payment is reported from data.status and data.amount as brokers.md §2.5
// reads them, or the lookup fails with a *getpaid.BrokerError (or
// getpaid.ErrAmountMismatch for another currency): captured only for
// status 1 with the payment's amount (Full, to be verified first) or
// status 2 with data.amount (Full only when that is the payment's), an
// advance only for status 1 with another amount, nothing new otherwise.
// An answer without data, or whose data is not the transaction's object,
// is never read as a status. The committed seeds (testdata/fuzz) are each
// status, an advance, another currency, and answers that are not
// Przelewy24's.
func FuzzStatusAnswer(f *testing.F) {
	b, answer := answering(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "316", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN")}
		o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
		// A strict reading of the answer, as Przelewy24 documents it.
		var doc struct {
			Data *struct {
				OrderID  int64  `json:"orderId"`
				Status   int    `json:"status"`
				Amount   int64  `json:"amount"`
				Currency string `json:"currency"`
			} `json:"data"`
		}
		isDoc := json.Unmarshal(body, &doc) == nil && doc.Data != nil
		var be *getpaid.BrokerError
		switch {
		case errors.Is(err, getpaid.ErrAmountMismatch):
			if !isDoc || doc.Data.Currency == "" || doc.Data.Currency == p.Amount.Currency {
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
		d := doc.Data
		if o.PaymentID != p.ID {
			t.Fatalf("answer %q read for payment %q", body, o.PaymentID)
		}
		if d.OrderID != 0 && o.ExternalID != strconv.FormatInt(d.OrderID, 10) {
			t.Fatalf("answer %q read with orderId %q", body, o.ExternalID)
		}
		switch o.Kind {
		case getpaid.KindCaptured:
			if d.Currency != "" && d.Currency != p.Amount.Currency {
				t.Fatalf("answer %q in %s read as captured", body, d.Currency)
			}
			if o.Amount != p.Money(d.Amount) {
				t.Fatalf("answer %q read as captured %s", body, o.Amount)
			}
			switch d.Status {
			case 1:
				if d.Amount != p.Amount.Minor || !o.Full || o.BrokerStatus != statusNotification || !o.MustConfirm {
					t.Fatalf("answer %q (paid, not verified) read as %+v", body, o)
				}
			case 2:
				if o.Full != (d.Amount == p.Amount.Minor) || o.BrokerStatus != statusVerified || o.MustConfirm {
					t.Fatalf("answer %q (verified) read as %+v", body, o)
				}
			default:
				t.Fatalf("answer %q with status %d read as captured", body, d.Status)
			}
		case getpaid.KindAdvance:
			if d.Status != 1 || d.Amount == p.Amount.Minor || o.Amount != p.Money(d.Amount) || !o.MustConfirm {
				t.Fatalf("answer %q read as an advance of %s", body, o.Amount)
			}
		case getpaid.KindNone:
			if d.Status == 1 || d.Status == 2 {
				t.Fatalf("answer %q with status %d read as nothing new", body, d.Status)
			}
		default:
			t.Fatalf("answer %q read as %s", body, o.Kind)
		}
	})
}
