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

// An operator confirmed "at the broker it failed" for a release in doubt;
// meanwhile another resolved it as succeeded and the broker captured the
// money (the engine moved it to failed and flagged it: contradicted by the
// broker). The confirmation, decided on a release in doubt, acknowledged
// the contradiction nobody was shown: the flag was cleared, "Operation
// resolved". Now it is refused, 409, the page showing the operation as it
// is, flagged, with the acknowledgement to confirm.
func TestStaleResolutionDoesNotAcknowledge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	ctx := context.Background()
	p := e.pay("o-stale-ack", "10.00", "pre_auth", getpaid.StatusPreAuth)
	_ = e.dummy.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	_ = e.dummy.SetFault(dummy.FaultNone)
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("release with a lost answer: %v, want it in doubt", err)
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	form := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {oe.Op.ID}, "as": {"failed"}, "note": {"not in the panel"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", form); resp.StatusCode != http.StatusOK || strings.Contains(b.last, "Acknowledge it?") {
		t.Fatalf("confirmation of the resolution: %d:\n%s", resp.StatusCode, b.last)
	}
	form.Set("key", "k-bob")

	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "looked done", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	body, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "paid-1", Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"})
	if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Header: http.Header{dummy.SignatureHeader: {sig}}, Body: body}); err != nil {
		t.Fatalf("paid notification: %v", err)
	}
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.State != getpaid.OpFailed || !op.Flagged {
		t.Fatalf("contradicted: %s, flagged %v; want failed and flagged", op.State, op.Flagged)
	}

	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); !op.Flagged {
		t.Fatalf("a resolution confirmed for the release in doubt cleared the flag of the contradiction (%d), which nobody was shown: %+v", resp.StatusCode, op)
	}
	if resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "Acknowledge it?") || !strings.Contains(b.last, "not done") {
		t.Fatalf("refused: %d; want 409 showing the operation's error and the acknowledgement to confirm:\n%s", resp.StatusCode, b.last)
	}
	if !strings.Contains(b.last, `name="acknowledge"`) {
		t.Fatalf("the refusal's page offers no acknowledgement to confirm:\n%s", b.last)
	}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", confirmForm(t, b.last, "settled with the buyer")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledged from the refusal's page: %d:\n%s", resp.StatusCode, b.last)
	}
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.Flagged || op.State != getpaid.OpFailed {
		t.Fatalf("acknowledged: %+v; want it failed, no longer flagged", op)
	}
}
