package transferuj_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// A transaction overpaid and accepted (TRUE, tr_paid above tr_amount) is
// paid for the payment's amount; refunded in Tpay's panel, everything the
// buyer paid goes back, and its CHARGEBACK reports that in tr_paid. The
// payment is then refunded in full: it was refused as an amount mismatch
// (more than captured), Tpay sent it again until it gave up, and the
// payment stayed paid with the money gone.
func TestChargebackOfAcceptedOverpayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		back string // tr_paid of the CHARGEBACK
	}{
		{"everything paid returned", "12.00"},
		{"the payment's amount returned", "10.00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", JWSPrefix: "https://secure.tpay.com"})
			if err != nil {
				t.Fatal(err)
			}
			f := newFlow(t, b)
			p := f.pay(t, "overpaid", getpaid.MustParseMoney("10.00", "PLN"))
			note := func(status, trErr, paid string) *getpaid.CallbackRequest {
				v := url.Values{"id": {"1010"}, "tr_id": {"TR-OVR-1"}, "tr_date": {"2026-12-04 05:00:00"}, "tr_crc": {p.ID},
					"tr_amount": {"10.00"}, "tr_paid": {paid}, "tr_desc": {"Order"}, "tr_status": {status}, "tr_error": {trErr},
					"tr_email": {"jan@example.com"}, "md5sum": {tpaynotify.MD5("1010", "TR-OVR-1", "10.00", p.ID, "demo")}}
				return &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Query: url.Values{}, Body: []byte(v.Encode()), RemoteIP: "127.0.0.1"}
			}
			if res, err := f.eng.HandleCallback(ctx, "transferuj", note("TRUE", "overpay", "12.00")); err != nil || res.Outcome != getpaid.OutcomeApplied {
				t.Fatalf("accepted overpayment: %+v, %v", res, err)
			}
			for i := range 2 { // Tpay sends it again: counted once
				res, err := f.eng.HandleCallback(ctx, "transferuj", note("CHARGEBACK", "none", tt.back))
				if err != nil || (i == 0) != (res.Outcome == getpaid.OutcomeApplied) {
					t.Fatalf("chargeback %d of %s: %+v, %v", i, tt.back, res, err)
				}
			}
			got, err := f.store.Payment(ctx, p.ID)
			if err != nil || got.Status != getpaid.StatusRefunded || got.Refunded != 1000 || got.Captured != 1000 {
				t.Fatalf("after the chargeback: %+v, %v; want refunded 10.00 of 10.00", got, err)
			}
		})
	}
}
