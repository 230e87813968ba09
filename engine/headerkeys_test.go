package engine_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A library user who builds the CallbackRequest from a plain map of
// headers (a serverless platform's event, which hands header names over in
// lower case, as webhook.Verify and PayU's ParseCallback already read them)
// has the broker's notification applied: HandleCallback reads header names
// whatever their case, for every backend, as net/http's own requests do.
func TestCallbackHeaderNamesInAnyCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
	}{
		{"canonical", "Dummy-Signature"},
		{"lower case", "dummy-signature"},
		{"upper case", "DUMMY-SIGNATURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o1", Backend: "dummy", Amount: *money("10.00")})
			if err != nil {
				t.Fatal(err)
			}
			body, sig := dummy.EncodeCallback("test-secret", dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			hdr := http.Header{tt.key: {sig}, "content-type": {"application/json"}}
			res, err := e.eng.HandleCallback(context.Background(), "dummy", &getpaid.CallbackRequest{Method: "POST", Header: hdr, Body: body})
			if err != nil {
				t.Fatalf("callback with header %q: %v", tt.key, err)
			}
			if res.Outcome != getpaid.OutcomeApplied || res.Payment.Status != getpaid.StatusPaid {
				t.Fatalf("outcome %s, status %s; want applied, paid", res.Outcome, res.Payment.Status)
			}
			if len(hdr) != 2 || hdr.Get(dummy.SignatureHeader) != "" && tt.key != dummy.SignatureHeader {
				t.Fatalf("the caller's header was changed: %v", hdr)
			}
		})
	}
}
