package admin_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// TestBlockedByAnotherOperation: a release asked while the payment's
// capture is in doubt is refused (one capture, release or cancel at a
// time). The page said "The capture is unknown: …: this form was sent
// before and the broker has not answered yet", as if the release had been
// sent and were waiting; it was never sent. It now says nothing was done
// and names the operation in the way.
func TestBlockedByAnotherOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-blocked-1", "20.00", "pre_auth", getpaid.StatusPreAuth)
	ctx := context.Background()
	if err := e.dummy.SetFault(dummy.FaultTimeoutAfter); err != nil {
		t.Fatal(err)
	}
	five := getpaid.MustParseMoney("5.00", "PLN")
	res, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "cap-doubt"})
	if err == nil {
		t.Fatalf("the capture went through: %+v", res)
	}
	ops, err := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Fatalf("operations %+v, %v: want the capture in doubt", ops, err)
	}
	capture := ops.Operations[0]
	if err := e.dummy.SetFault(""); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {"release"}})
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {b.csrf()}, "action": {"release"}, "key": {keyField.FindStringSubmatch(b.last)[1]}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("release behind a capture in doubt: %d, want 409\n%s", resp.StatusCode, b.last)
	}
	page := html.UnescapeString(b.last)
	if strings.Contains(page, "this form was sent before") {
		t.Errorf("the refusal says the release was sent before:\n%s", page)
	}
	for _, want := range []string{"Nothing was done", capture.ID, "capture"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, page)
		}
	}
	if n := len(mustOps(t, e, p.ID)); n != 1 {
		t.Errorf("%d operations, want the capture alone", n)
	}
}

func mustOps(t *testing.T, e *env, id string) []*getpaid.Operation {
	t.Helper()
	ops, err := e.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: id})
	if err != nil {
		t.Fatal(err)
	}
	return ops.Operations
}
