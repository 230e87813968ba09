package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestMalformedAmountAsksNothing: an amount the console cannot read
// ("2,50", "2.50 PLN") was shown with its error above the question "Really
// refund all that can be of this payment?" and a Confirm button, as if the
// field had been left empty. The page now asks for the amount again, and
// offers nothing to confirm.
func TestMalformedAmountAsksNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-amount-1", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	csrf := b.csrf()
	for _, typed := range []string{"2,50", "2.50 PLN", "1e2", "0", "0.00"} {
		resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {csrf}, "action": {"refund"}, "amount": {typed}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, `id="refusal"`) {
			t.Fatalf("amount %q: %d, want 422 with the error:\n%s", typed, resp.StatusCode, b.last)
		}
		if strings.Contains(b.last, "all that can be") || strings.Contains(b.last, "/do\"") || strings.Contains(b.last, `id="confirm-button"`) {
			t.Errorf("amount %q: the page offers to confirm a refund (of all):\n%s", typed, b.last)
		}
		if !strings.Contains(b.last, `name="amount" id="refund-amount" value="`+typed) || !strings.Contains(b.last, `/confirm"`) {
			t.Errorf("amount %q: the page does not ask for the amount again:\n%s", typed, b.last)
		}
	}
	// Corrected there, it goes on to the confirmation.
	b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {csrf}, "action": {"refund"}, "amount": {"2.50"}})
	if !strings.Contains(b.last, "Really refund <strong>2.50 PLN</strong>") || !strings.Contains(b.last, `id="confirm-button"`) {
		t.Errorf("a readable amount is not asked to be confirmed:\n%s", b.last)
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Refunded != 0 || q.Status != getpaid.StatusPaid {
		t.Errorf("the payment changed: %s, refunded %d", q.Status, q.Refunded)
	}
}

// TestRefusedAmountAskedAgain: an amount the engine refuses ("at most
// 10.00 PLN can be refunded") was shown under its reason with "Really
// refund 25.00 PLN?" and a Confirm button that could only be refused again.
// The page asks for the amount again instead.
func TestRefusedAmountAskedAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-amount-2", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	csrf := b.csrf()
	b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {csrf}, "action": {"refund"}, "amount": {"25.00"}})
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {csrf}, "action": {"refund"}, "amount": {"25.00"}, "key": {keyField.FindStringSubmatch(b.last)[1]}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, "at most 10.00 PLN can be refunded") {
		t.Fatalf("over-refund: %d\n%s", resp.StatusCode, b.last)
	}
	if strings.Contains(b.last, `id="confirm-button"`) || strings.Contains(b.last, "Really refund") {
		t.Errorf("the refused amount is offered for confirmation again:\n%s", b.last)
	}
	if !strings.Contains(b.last, `name="amount" id="refund-amount" value="25.00"`) {
		t.Errorf("the page does not ask for the amount again:\n%s", b.last)
	}
}
