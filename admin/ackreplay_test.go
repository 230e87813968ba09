package admin_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// panelRefunds is the dummy broker notifying refunds made in its panel:
// a body "refund <payment> <refund id>" is a refund of 1.00 PLN done.
type panelRefunds struct{ *dummy.Broker }

func (b *panelRefunds) ParseCallback(ctx context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	f := strings.Fields(string(r.Body))
	if len(f) != 3 || f[0] != "refund" {
		return b.Broker.ParseCallback(ctx, r)
	}
	return &getpaid.Observation{PaymentID: f[1], Kind: getpaid.KindRefunded, Amount: getpaid.MustParseMoney("1.00", "PLN"),
		EventID: "refund:" + f[2], BrokerRef: f[2], BrokerStatus: "refund done"}, nil
}

// hiddenInput is a hidden field of a page's form.
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// confirmForm is what submitting the confirmation form of page sends,
// its note set to note.
func confirmForm(t *testing.T, page, note string) url.Values {
	t.Helper()
	form := regexp.MustCompile(`(?s)<form [^>]*id="confirm">(.*?)</form>`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no form to confirm:\n%s", page)
	}
	v := url.Values{"note": {note}}
	for _, m := range hiddenInput.FindAllStringSubmatch(form[1], -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// A refund resolved as done that the broker contradicted (rf9, a refund
// made in its panel) was acknowledged from the console; the broker then
// reported another (rf10), flagging it again. The acknowledgement's form
// sent again (the back button and a resubmit, or a confirmation page left
// open while another operator acknowledged rf9) acknowledged rf10 too,
// which nobody was shown: the flag was cleared, "Operation resolved", and
// the Needs attention page never listed it. Now it is refused, 409, the
// page showing rf10 and the acknowledgement to confirm.
func TestAcknowledgementSentAgainDoesNotAcknowledgeAnother(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { return &panelRefunds{d} })
	ctx := context.Background()
	p := e.pay("o-ack-again", "10.00", "paid", getpaid.StatusPaid)
	_ = e.dummy.SetFault(dummy.FaultTimeoutBefore)
	amount := getpaid.MustParseMoney("3.00", "PLN")
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amount, IdempotencyKey: "r"})
	_ = e.dummy.SetFault(dummy.FaultNone)
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with a lost answer: %v, want it in doubt", err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "refunded by hand", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	panel := func(ref string) {
		t.Helper()
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " " + ref)}); err != nil {
			t.Fatalf("panel refund %s: %v", ref, err)
		}
		if op, _ := e.eng.Operation(ctx, oe.Op.ID); !op.Flagged || !strings.Contains(op.Error, ref) {
			t.Fatalf("panel refund %s: flagged %v, error %q; want it flagged, naming %s", ref, op.Flagged, op.Error, ref)
		}
	}
	panel("rf9")

	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	ack := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {oe.Op.ID}, "as": {"succeeded"}, "note": {"rf9 is another"}} // the Acknowledge… form
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", ack); resp.StatusCode != http.StatusOK || !strings.Contains(b.last, "Acknowledge it?") || !strings.Contains(b.last, "rf9") {
		t.Fatalf("confirmation of the acknowledgement: %d:\n%s", resp.StatusCode, b.last)
	}
	form := confirmForm(t, b.last, "rf9 is another")
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledged: %d:\n%s", resp.StatusCode, b.last)
	}
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.Flagged || op.ResolvedBy != "ops" || !strings.Contains(op.Note, "acknowledged by console:alice: rf9 is another") {
		t.Fatalf("acknowledged: flagged %v, resolved by %q, note %q", op.Flagged, op.ResolvedBy, op.Note)
	}

	panel("rf10")
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form) // the same form, sent again
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); !op.Flagged {
		t.Fatalf("the acknowledgement of rf9 sent again (%d) acknowledged rf10, which nobody was shown: %+v", resp.StatusCode, op)
	}
	if resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "rf10") || !strings.Contains(b.last, "Acknowledge it?") {
		t.Fatalf("sent again: %d; want 409 showing rf10 and the acknowledgement to confirm:\n%s", resp.StatusCode, b.last)
	}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", confirmForm(t, b.last, "rf10 is another too")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledged from the refusal's page: %d:\n%s", resp.StatusCode, b.last)
	}
	op, _ := e.eng.Operation(ctx, oe.Op.ID)
	if op.Flagged || op.ResolvedBy != "ops" || !strings.HasSuffix(op.Note, "; acknowledged by console:alice: rf10 is another too") || !strings.Contains(op.Error, "rf10") {
		t.Fatalf("acknowledged: flagged %v, resolved by %q, note %q, error %q", op.Flagged, op.ResolvedBy, op.Note, op.Error)
	}
}

// betweenResolver runs before just before a resolution reaches the
// engine: after the console checked what its form showed.
type betweenResolver struct {
	getpaid.Service
	before func()
}

func (s betweenResolver) ResolveOperation(ctx context.Context, req getpaid.ResolveRequest) (*getpaid.ActionResult, error) {
	s.before()
	return s.Service.ResolveOperation(ctx, req)
}

// The console checked that the acknowledgement's form showed the operation
// as it is, then asked the engine to acknowledge it: another contradiction
// the broker reported between the two (rf10) was acknowledged with rf9,
// though nobody was shown it. Now the console passes what it checked down,
// and the engine refuses a change since in the write: 409, the page
// showing rf10 and the acknowledgement to confirm.
func TestAcknowledgementRacingAnotherContradiction(t *testing.T) {
	t.Parallel()
	var before func()
	e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { return &panelRefunds{d} },
		func(c *admin.Config) { c.Service = betweenResolver{c.Service, func() { before() }} })
	before = func() {}
	ctx := context.Background()
	p := e.pay("o-ack-race", "10.00", "paid", getpaid.StatusPaid)
	_ = e.dummy.SetFault(dummy.FaultTimeoutBefore)
	amount := getpaid.MustParseMoney("3.00", "PLN")
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amount, IdempotencyKey: "r"})
	_ = e.dummy.SetFault(dummy.FaultNone)
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with a lost answer: %v, want it in doubt", err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "refunded by hand", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	panel := func(ref string) {
		t.Helper()
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " " + ref)}); err != nil {
			t.Fatalf("panel refund %s: %v", ref, err)
		}
	}
	panel("rf9")

	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	ack := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {oe.Op.ID}, "as": {"succeeded"}, "note": {"rf9 is another"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", ack); resp.StatusCode != http.StatusOK || !strings.Contains(b.last, "rf9") {
		t.Fatalf("confirmation of the acknowledgement: %d:\n%s", resp.StatusCode, b.last)
	}
	form := confirmForm(t, b.last, "rf9 is another")
	before = func() { before = func() {}; panel("rf10") }
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); !op.Flagged || !strings.Contains(op.Error, "rf10") {
		t.Fatalf("the acknowledgement of rf9 (%d) acknowledged rf10, reported after the console checked the form, which nobody was shown: %+v", resp.StatusCode, op)
	}
	if resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "rf10") || !strings.Contains(b.last, "Acknowledge it?") {
		t.Fatalf("raced: %d; want 409 showing rf10 and the acknowledgement to confirm:\n%s", resp.StatusCode, b.last)
	}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", confirmForm(t, b.last, "rf10 is another too")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledged from the refusal's page: %d:\n%s", resp.StatusCode, b.last)
	}
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.Flagged || !strings.HasSuffix(op.Note, "; acknowledged by console:alice: rf10 is another too") {
		t.Fatalf("acknowledged: flagged %v, note %q", op.Flagged, op.Note)
	}
}
