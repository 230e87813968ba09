package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
)

// racedResolver settles the operation as bob decided just before the
// console's resolution reaches the engine: another operator, the broker's
// notification or the reconciler coming first.
type racedResolver struct {
	getpaid.Service
}

func (s racedResolver) ResolveOperation(ctx context.Context, req getpaid.ResolveRequest) (*getpaid.ActionResult, error) {
	if _, err := s.Service.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: req.OperationID, As: getpaid.OpFailed,
		Note: "not in the panel", By: "bob"}); err != nil {
		return nil, err
	}
	return s.Service.ResolveOperation(ctx, req)
}

// A resolution refused because the operation was settled after the
// confirmation page was read: the page said "The refund has already
// failed", and under it still showed the refund as "now unknown" with the
// form to resolve it, as read before, where a settled one offers nothing to
// confirm and names who settled it.
func TestResolveSettledMeanwhileOffersNoForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false, func(c *admin.Config) { c.Service = racedResolver{c.Service} })
	p := e.pay("o-console-resolved-meanwhile", "10.00", "paid", getpaid.StatusPaid)
	op := e.refundInDoubt(p, "k-meanwhile")
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	form := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {op.ID}, "as": {"succeeded"},
		"note": {"seen in the panel"}, "key": {"k-resolve"}}
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "already failed") {
		t.Fatalf("resolution of a refund settled meanwhile: %d; want 409 saying it has already failed:\n%s", resp.StatusCode, b.last)
	}
	if strings.Contains(b.last, `id="confirm"`) || strings.Contains(b.last, "now unknown") || !strings.Contains(b.last, "resolved by bob") {
		t.Fatalf("the page offers to resolve the settled refund again, or does not name who settled it:\n%s", b.last)
	}
	q, err := e.eng.Payment(context.Background(), p.ID)
	if err != nil || q.Refunded != 0 || q.RefundAsked != 0 {
		t.Fatalf("payment %+v, %v; want nothing refunded, nothing asked", q, err)
	}
}
