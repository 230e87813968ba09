package admin_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestPastedOrderIDFound: an order id pasted with the blanks around it
// (from an e-mail, a spreadsheet cell) found no payment, "No payments
// match", though the order has one: getpaid refuses order ids with leading
// or trailing spaces, so the console drops them before it searches, and
// shows the id it searched for.
func TestPastedOrderIDFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-pasted-1", "1.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	for _, typed := range []string{" o-pasted-1", "o-pasted-1 ", "\to-pasted-1\r\n"} {
		b.do("GET", "/admin/?order_id="+url.QueryEscape(typed), nil)
		if !strings.Contains(b.last, `href="/admin/payments/`+p.ID+`"`) {
			t.Errorf("order id %q: the payment is not listed", typed)
		}
		if !strings.Contains(b.last, `name="order_id" id="order_id" value="o-pasted-1"`) {
			t.Errorf("order id %q: the form does not show the id searched for", typed)
		}
	}
}
