package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// The payment page shows the Idempotency-Key a payment was created with,
// so an operator can match it to the shop's request.
func TestPaymentPageShowsCreateKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-key", Backend: "dummy",
		Amount: getpaid.MustParseMoney("10.00", "PLN"), IdempotencyKey: "shop-req-<7>"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	if resp := b.do("GET", "/admin/payments/"+p.ID, nil); resp.StatusCode != 200 || !strings.Contains(b.last, "<code>shop-req-&lt;7&gt;</code>") {
		t.Fatalf("payment page %d lacks the key, escaped:\n%s", resp.StatusCode, b.last)
	}
}
