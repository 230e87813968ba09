package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
)

// refusingResolver refuses every resolution as the engine refuses one it
// cannot make now, the operation still in doubt (getpaid.ErrConflict with
// the reason).
type refusingResolver struct {
	getpaid.Service
	why string
}

func (s refusingResolver) ResolveOperation(ctx context.Context, req getpaid.ResolveRequest) (*getpaid.ActionResult, error) {
	op, err := s.Operation(ctx, req.OperationID)
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("engine: resolve %s: %w", op.ID, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: %s", getpaid.ErrConflict, s.why)})
}

// A resolution the engine refuses while the operation is still in doubt (a
// refund a notification may have counted already) shows the engine's
// reason, which says what to do: it showed "The refund has already
// unknown: nothing left to check or resolve.", as if it were settled.
func TestResolveRefusedInDoubtSaysWhy(t *testing.T) {
	t.Parallel()
	why := "this refund may be one of them, counted already; compare the broker's refund ids in the payment's history with its panel"
	e := newEnv(t, nil, false, func(c *admin.Config) { c.Service = refusingResolver{c.Service, why} })
	p := e.pay("o-console-refused-resolve", "10.00", "paid", getpaid.StatusPaid)
	op := e.refundInDoubt(p, "k-refused")
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	form := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {op.ID}, "as": {"succeeded"},
		"note": {"seen in the panel"}, "key": {"k-resolve"}}
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	page := strings.ReplaceAll(b.last, "&#39;", "'")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, why) || strings.Contains(page, "already unknown") {
		t.Fatalf("refused resolution: %d; want 409 with the engine's reason %q, not that the refund has ended:\n%s", resp.StatusCode, why, b.last)
	}
}
