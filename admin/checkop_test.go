package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
)

// onlyService is a Service with nothing beyond the interface: a fake or a
// wrapper written outside the module, without the optional capabilities.
type onlyService struct{ getpaid.Service }

// A console whose Service cannot check operations (no
// getpaid.OperationChecker) offers no "Check with the broker now" button
// beside an operation in doubt (it still offers to resolve it), and a
// check posted anyway is refused, 501 saying so, with nothing done.
func TestCheckOperationWithoutChecker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false, func(c *admin.Config) { c.Service = onlyService{c.Service} })
	p := e.pay("o-console-nocheck", "10.00", "paid", getpaid.StatusPaid)
	op := e.refundInDoubt(p, "k-nocheck")
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, `value="resolve"`) {
		t.Fatalf("no resolve form for the operation in doubt:\n%s", b.last)
	}
	if strings.Contains(b.last, `value="check_operation"`) || strings.Contains(b.last, "Check with the broker now") {
		t.Errorf("the page offers a check its service cannot make:\n%s", b.last)
	}
	// A link as the console's own redirect after a check would make
	// shows no notice of a check that was never made.
	b.do("GET", "/admin/payments/"+p.ID+"?done=check_operation&op="+op.ID, nil)
	if strings.Contains(b.last, `class="notice"`) {
		t.Errorf("a notice of a check the console cannot make:\n%s", b.last)
	}
	for _, step := range []string{"confirm", "do"} {
		form := url.Values{"csrf": {b.csrf()}, "action": {"check_operation"}, "operation": {op.ID}, "key": {"k-check"}}
		resp := b.do("POST", "/admin/payments/"+p.ID+"/"+step, form)
		if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(b.last, "cannot check operations with their brokers") ||
			strings.Contains(b.last, `id="confirm"`) {
			t.Errorf("%s of a check: %d, want 501 saying the console cannot check operations, with nothing to confirm:\n%s", step, resp.StatusCode, b.last)
		}
		b.do("GET", "/admin/payments/"+p.ID, nil) // a fresh CSRF token
	}
	got, err := e.eng.Operation(context.Background(), op.ID)
	if err != nil || !got.NextCheckAt.After(time.Now()) || got.State != getpaid.OpUnknown {
		t.Errorf("operation after the refused checks: %+v, %v; want still in doubt, not due now", got, err)
	}
	if strings.Contains(e.audit.String(), `"action":"check_operation","result":"ok"`) {
		t.Errorf("the audit log has a check made: %s", e.audit.String())
	}
}
