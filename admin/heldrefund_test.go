package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestNoRefundWhileHeld: a pre-authorised payment captured in part keeps
// the rest held (pre_auth), and the engine refuses every refund of it
// until the hold is captured or released. Its page offered a Refund form
// anyway (for the part captured), which was refused each time; it offers
// capture and release only, and refund once the hold is gone.
func TestNoRefundWhileHeld(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-held-1", "20.00", "pre_auth", getpaid.StatusPreAuth)
	ctx := context.Background()
	five := getpaid.MustParseMoney("5.00", "PLN")
	if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "cap-1"}); err != nil {
		t.Fatal(err)
	}
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil || q.Status != getpaid.StatusPreAuth || q.Captured != 500 || q.Locked == 0 {
		t.Fatalf("after a partial capture: %+v, %v; want pre_auth with 5.00 captured and the rest held", q, err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "ref-1"}); err == nil {
		t.Fatal("the engine refunded part of a payment still held: the console's rule below is out of date")
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	for _, want := range []string{`id="action-capture"`, `id="action-release"`} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the held payment's page lacks %s", want)
		}
	}
	if strings.Contains(b.last, `id="action-refund"`) {
		t.Error("the page of a payment still held offers a refund, which the engine refuses")
	}

	if _, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "rel-1"}); err != nil {
		t.Fatal(err)
	}
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, `id="action-refund"`) {
		t.Errorf("once the hold is released, the captured part is refundable, but no refund is offered:\n%s", b.last)
	}
}
