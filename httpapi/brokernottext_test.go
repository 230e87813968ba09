package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// naming is the dummy broker naming its payments and transactions as a
// broker's JSON may (PayU's orderId "T\u0000", bytes of a character cut):
// ids that are not text.
type naming struct {
	*dummy.Broker
	prepared, captured string
}

func (b *naming) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p, err := b.Broker.Prepare(ctx, r)
	if err == nil && b.prepared != "" {
		p.ExternalID = b.prepared
		p.Redirect.Method, p.Redirect.Fields = http.MethodPost, map[string]string{"sig": b.prepared}
	}
	return p, err
}

func (b *naming) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	o, err := b.Broker.ParseCallback(ctx, req)
	if err == nil && b.captured != "" {
		o.ExternalID = b.captured
	}
	return o, err
}

// A broker that names a payment or the transaction that paid it with a NUL
// or bytes that are not UTF-8 gets the same answers on every store: the
// payment is created (201) and paid (200), and the same transaction
// notified again is a repeat. On PostgreSQL the create was a 500 (a
// payment the broker had registered, lost), and the notification a 500
// for ever, the payment never paid; SQLite and memory stored them.
func TestBrokerIDsNotTextSameOnEveryStore(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		for _, tc := range []struct{ name, prepared, captured string }{
			{"created with a NUL", "T\x00", ""},
			{"created cut", "T-\xc5", ""},
			{"paid with a NUL", "", "T\x00"},
			{"paid not UTF-8", "", "\xff\xfe"},
		} {
			d, err := dummy.New(dummy.Config{Secret: secret, Currencies: []string{"CHF"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			e := newEnv(t, envOpts{store: store, extra: []getpaid.Backend{{Name: "named", Broker: &naming{Broker: d, prepared: tc.prepared, captured: tc.captured}}}})
			resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o-named", "amount": "10.00", "currency": "CHF", "backend": "named"}, auth)
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("%s: create: %d %s; want 201", tc.name, resp.StatusCode, body)
				continue
			}
			id := e.byOrder("o-named")[0].ID
			for i, ev := range []string{"e-paid", "e-paid-again"} {
				b, sig := signed(dummy.Callback{PaymentID: id, EventID: ev, Status: "paid", Amount: "10.00", Currency: "CHF"})
				resp, out := e.doRaw("POST", "/callback/named", string(b), map[string]string{"Content-Type": "application/json", dummy.SignatureHeader: sig})
				want := []string{`{"status":"ok"}`, `{"status":"already processed"}`}[i]
				if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(out)) != want {
					t.Errorf("%s: callback %s: %d %s; want 200 %s", tc.name, ev, resp.StatusCode, out, want)
				}
			}
			if p := e.payment(id); p.Status != getpaid.StatusPaid || p.Captured != "10.00" {
				t.Errorf("%s: payment %s, captured %s; want paid, 10.00", tc.name, p.Status, p.Captured)
			}
		}
	})
}
