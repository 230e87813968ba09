package admin_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// The confirmation page of a refund names what refunds are pending or in
// doubt (refund_pending): it said "10.00 PLN captured, 0.00 PLN refunded"
// and then, refused, "at most 6.00 PLN can be refunded", which read as a
// contradiction with nothing shown to explain it (a refund of 4.00 PLN in
// doubt holds its amount).
func TestConfirmShowsRefundPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-console-pending", "10.00", "paid", getpaid.StatusPaid)
	if err := e.dummy.SetFault("timeout-before"); err != nil {
		t.Fatal(err)
	}
	four := getpaid.MustParseMoney("4.00", "PLN")
	if _, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &four, IdempotencyKey: "k-pending"}); err == nil {
		t.Fatal("refund with the broker's answer lost: no error")
	}
	if err := e.dummy.SetFault(""); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	csrf := b.csrf()
	for _, tc := range []struct{ step, path, amount string }{
		{"confirm", "/confirm", "8.00"},
		{"refused", "/do", "8.00"},
	} {
		form := url.Values{"csrf": {csrf}, "action": {"refund"}, "amount": {tc.amount}}
		if tc.path == "/do" {
			form.Set("key", "console-pending-key-0001")
		}
		b.do("POST", "/admin/payments/"+p.ID+tc.path, form)
		i := strings.Index(b.last, "captured,")
		if i < 0 {
			t.Fatalf("%s: no summary of the payment:\n%s", tc.step, b.last)
		}
		summary := b.last[i:]
		summary = summary[:strings.Index(summary, "</p>")]
		if tc.path == "/do" && !strings.Contains(b.last, "at most 6.00 PLN") {
			t.Errorf("%s: not refused for the amount held by the refund in doubt:\n%s", tc.step, b.last)
		}
		if !strings.Contains(summary, "4.00 PLN refund pending") {
			t.Errorf("%s: the summary does not name the refund pending: %q", tc.step, summary)
		}
	}
}
