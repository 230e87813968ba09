package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// A release an operator resolved as done, contradicted since by the broker
// capturing the money (the engine moved it to failed, saying why): it was
// told only in the log and on the payment's page, and the "Needs attention"
// page, where operators look, did not list it. Now it is listed there,
// flagged, with its error, until an operator acknowledges it from the
// payment's page (resolves it as failed, as it is); resolving it as
// succeeded is refused with the engine's reason.
func TestContradictedResolutionNeedsAttention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	ctx := context.Background()
	p := e.pay("o-contradicted", "10.00", "pre_auth", getpaid.StatusPreAuth)
	_ = e.dummy.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	_ = e.dummy.SetFault(dummy.FaultNone)
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("release with a lost answer: %v, want it in doubt", err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "looked done", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	body, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "paid-1", Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"})
	if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Header: http.Header{dummy.SignatureHeader: {sig}}, Body: body}); err != nil {
		t.Fatalf("paid notification: %v", err)
	}

	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/attention", nil)
	if doubt := section(t, b.last, "doubt"); !strings.Contains(doubt, `/admin/payments/`+p.ID+`"`) || !strings.Contains(doubt, "failed") ||
		!strings.Contains(doubt, "contradicted by the broker") || !strings.Contains(doubt, "not done") {
		t.Fatalf("the contradicted release is not listed, failed, with its error:\n%s", doubt)
	}
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, "Acknowledge…") {
		t.Fatalf("the payment's page offers no way to acknowledge it:\n%s", b.last)
	}
	form := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {oe.Op.ID}, "as": {"succeeded"}, "note": {"no"}, "key": {"k-other"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form); resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "resolve it as failed") {
		t.Fatalf("resolved as succeeded: %d; want 409 saying to resolve it as failed:\n%s", resp.StatusCode, b.last)
	}
	form.Set("as", "failed")
	form.Set("note", "settled with the buyer")
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", form); resp.StatusCode != http.StatusOK || !strings.Contains(b.last, `id="confirm"`) || !strings.Contains(b.last, "Acknowledge it?") {
		t.Fatalf("confirmation of the acknowledgement: %d:\n%s", resp.StatusCode, b.last)
	}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", confirmForm(t, b.last, "settled with the buyer")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledged: %d:\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", "/admin/attention", nil)
	if doubt := section(t, b.last, "doubt"); strings.Contains(doubt, p.ID) {
		t.Fatalf("acknowledged, it is still listed:\n%s", doubt)
	}
	if op, err := e.eng.Operation(ctx, oe.Op.ID); err != nil || op.Flagged || op.State != getpaid.OpFailed || !strings.HasPrefix(op.ResolvedBy, "console:") {
		t.Fatalf("acknowledged: %+v, %v; want it failed, no longer flagged, resolved from the console", op, err)
	}
}
