package przelewy24

import (
	"context"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzTamperedCallback: whatever is done to a notification Przelewy24
// signed (its fields changed, added, repeated, re-encoded, its sign
// edited), what ParseCallback accepts says what the signed one says: its
// payment, transaction, amount, currency, kind and event. Only the
// operation a refund names may differ, and then only as an operation whose
// refundsUuid is the signed one. The seeds are the signed transaction
// and refund notifications of the tests, as JSON and as a form.
func FuzzTamperedCallback(f *testing.F) {
	b := fuzzBroker(f)
	n := vectorNotification()
	partial := n
	partial.Amount = 400
	ref := refundNotification{OrderID: 300000001, SessionID: "test7", RefundsUUID: "ref_1", MerchantID: 11111, Amount: 300, Currency: "PLN"}
	rej := ref
	rej.Status = 1
	signed := []string{
		notificationJSON(n, n.sign(testCRC)),
		notificationForm(n, n.sign(testCRC)),
		notificationJSON(partial, partial.sign(testCRC)),
		refundJSON(ref, ref.sign(testCRC)),
		refundJSON(rej, rej.sign(testCRC)),
	}
	var want []*getpaid.Observation
	for _, s := range signed {
		o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Body: []byte(s)})
		if err != nil {
			f.Fatalf("%s: %v", s, err)
		}
		want = append(want, o)
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Body: body})
		if err != nil {
			return
		}
		got := *o
		if got.OperationID != "" {
			if _, uuid := refundIDs(got.OperationID); got.EventID != "refund:"+uuid+":"+got.ExternalID &&
				got.EventID != "refund:"+uuid+":"+got.ExternalID+":rejected" {
				t.Fatalf("%q accepted naming operation %s, not the signed refund's: %+v", body, got.OperationID, got)
			}
			got.OperationID = ""
		}
		for _, w := range want {
			if got == *w {
				return
			}
		}
		t.Fatalf("%q accepted as %+v, which no notification Przelewy24 signed says", body, o)
	})
}
