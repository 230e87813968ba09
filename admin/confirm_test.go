package admin_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/memory"
)

// heldRefunds is the dummy broker whose first refund waits at the broker
// until released, as a slow broker's does.
type heldRefunds struct {
	*dummy.Broker
	once             sync.Once
	entered, release chan struct{}
}

func (h *heldRefunds) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.entered)
		<-h.release
	}
	return h.Broker.Refund(ctx, req)
}

// TestConfirmAgainDoesNotRefundTwice submits a refund's confirmation form
// twice (a double click) while the first submission is at the broker, or
// after its answer was lost: the page the second gets must carry the same
// idempotency key, so confirming from that page again asks nothing new of
// the broker.
func TestConfirmAgainDoesNotRefundTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		held   bool // the first refund waits at the broker
	}{
		{"while the first is at the broker", http.StatusConflict, true},
		{"after the first answer was lost", http.StatusConflict, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			held := &heldRefunds{entered: make(chan struct{}), release: make(chan struct{})}
			var releaseOnce sync.Once
			release := func() { releaseOnce.Do(func() { close(held.release) }) }
			var e *env
			if tc.held {
				e = newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { held.Broker = d; return held })
				t.Cleanup(release) // before the server's Close, which waits for the held request
			} else {
				e = newEnv(t, nil, false)
			}
			p := e.pay("o-twice", "10.00", "paid", getpaid.StatusPaid)
			if !tc.held {
				if err := e.dummy.SetFault(dummy.FaultTimeoutBefore); err != nil {
					t.Fatal(err)
				}
			}
			b := e.browser()
			b.mustLogin()
			b.do("GET", "/admin/payments/"+p.ID, nil)
			b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"3.00"}})
			form := url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"3.00"}, "key": {keyField.FindStringSubmatch(b.last)[1]}}

			first := make(chan int, 1)
			if tc.held {
				go func() {
					req, _ := http.NewRequest("POST", e.srv.URL+"/admin/payments/"+p.ID+"/do", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					resp, err := b.c.Do(req)
					if err != nil {
						first <- 0
						return
					}
					resp.Body.Close()
					first <- resp.StatusCode
				}()
				<-held.entered
			} else {
				b.do("POST", "/admin/payments/"+p.ID+"/do", form)
			}
			// The second submission of the same form, and then a press of
			// Confirm on the page it answered.
			for i := range 2 {
				resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
				if resp.StatusCode != tc.status {
					t.Fatalf("submission %d: %d, want %d\n%s", i+2, resp.StatusCode, tc.status, b.last)
				}
				m := keyField.FindStringSubmatch(b.last)
				if m == nil {
					t.Fatalf("submission %d: no form on the answer:\n%s", i+2, b.last)
				}
				form.Set("key", m[1])
			}
			if tc.held {
				release()
				if s := <-first; s != http.StatusSeeOther {
					t.Errorf("the first submission: %d, want 303", s)
				}
			}
			ops, err := e.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(ops.Operations) != 1 {
				t.Errorf("%d refunds asked for one confirmed form, want 1", len(ops.Operations))
			}
			if n, total := e.dummy.Refunds(p.ID); n > 1 || total > 300 {
				t.Errorf("the broker refunded %d times, %d in all; want once, 3.00 PLN", n, total)
			}
		})
	}
}

// TestConfirmSettledOperation asks to check, or to resolve, an operation
// settled since the payment's page was shown (the reconciler, a webhook or
// another operator got there first). The confirmation step must say it is
// settled and offer no form to confirm, only the way back to the payment;
// so must the page answering a confirmation sent from a page shown before
// the operation was settled.
func TestConfirmSettledOperation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, action string
		settled      getpaid.OperationState
		form         url.Values
	}{
		{"check a failed one", "check_operation", getpaid.OpFailed, nil},
		{"check a succeeded one", "check_operation", getpaid.OpSucceeded, nil},
		{"resolve a failed one", "resolve", getpaid.OpFailed, url.Values{"as": {"succeeded"}, "note": {"seen in the panel"}}},
		{"resolve a succeeded one", "resolve", getpaid.OpSucceeded, url.Values{"as": {"failed"}, "note": {"not in the panel"}}},
		{"resolve with no choice made", "resolve", getpaid.OpSucceeded, url.Values{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, false)
			p := e.pay("o-settled", "10.00", "paid", getpaid.StatusPaid)
			if err := e.dummy.SetFault(dummy.FaultTimeoutBefore); err != nil {
				t.Fatal(err)
			}
			if _, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k-settled"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("refund at a broker timing out: %v; want it in doubt", err)
			}
			ops, err := e.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
			if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State.Final() {
				t.Fatalf("operations = %+v, %v; want one in doubt", ops, err)
			}
			op := ops.Operations[0]
			b := e.browser()
			b.mustLogin()
			b.do("GET", "/admin/payments/"+p.ID, nil)
			csrf := b.csrf()
			form := func() url.Values {
				v := url.Values{"csrf": {csrf}, "action": {tc.action}, "operation": {op.ID}}
				for k, vs := range tc.form {
					v[k] = vs
				}
				return v
			}
			// A confirmation page shown before the operation was settled.
			b.do("POST", "/admin/payments/"+p.ID+"/confirm", form())
			if !keyField.MatchString(b.last) {
				t.Fatalf("no confirmation form while the operation is in doubt:\n%s", b.last)
			}
			stale := form()
			stale.Set("key", keyField.FindStringSubmatch(b.last)[1])
			if _, err := e.eng.ResolveOperation(context.Background(), getpaid.ResolveRequest{OperationID: op.ID, As: tc.settled, Note: "settled elsewhere", By: "bob"}); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				name string
				path string
				form url.Values
			}{
				{"confirmation step", "/confirm", form()},
				{"confirmation sent from a stale page", "/do", stale},
			} {
				resp := b.do("POST", "/admin/payments/"+p.ID+step.path, step.form)
				refusal := refusalText.FindStringSubmatch(b.last)
				want := "The refund has already " + string(tc.settled) + ": nothing left to check or resolve."
				if resp.StatusCode != http.StatusConflict || refusal == nil || refusal[1] != want {
					t.Errorf("%s: %d, refusal %q; want 409 saying %q", step.name, resp.StatusCode, refusal, want)
				}
				if strings.Contains(b.last, `id="confirm"`) || strings.Contains(b.last, "Confirm:") || strings.Contains(b.last, `name="key"`) {
					t.Errorf("%s of a settled operation still offers to confirm:\n%s", step.name, b.last)
				}
				if !strings.Contains(b.last, `href="/admin/payments/`+p.ID+`"`) {
					t.Errorf("%s: no way back to the payment:\n%s", step.name, b.last)
				}
			}
			if audit := e.audit.String(); !strings.Contains(audit, `"result":"refused"`) || !strings.Contains(audit, `"key":"`+stale.Get("key")+`"`) {
				t.Errorf("audit log lacks the refused confirmation:\n%s", audit)
			}
			got, err := e.eng.Operation(context.Background(), op.ID)
			if err != nil || got.State != tc.settled || got.ResolvedBy != "bob" {
				t.Errorf("operation after the refused tries: %+v, %v; want %s by bob", got, err, tc.settled)
			}
		})
	}
}

// An operation whose broker call is still running (submitting) cannot be
// checked (the engine refuses it): the confirmation page says why, 409,
// with no form, and a confirmation posted anyway gets the same answer.
// Resolving it stays offered (for a call whose process died).
func TestConfirmCheckOfARunningCall(t *testing.T) {
	t.Parallel()
	store := memory.New()
	e := newEnv(t, store, false)
	p := e.pay("o-running", "10.00", "paid", getpaid.StatusPaid)
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpSubmitting, Amount: getpaid.MustParseMoney("10.00", "PLN")}
	if _, err := store.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{
		Apply:     func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{New: op},
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	csrf := b.csrf()
	want := "The refund's broker call is still running: it is checked once that ends (or once it is taken for lost)."
	for _, path := range []string{"/confirm", "/do"} {
		form := url.Values{"csrf": {csrf}, "action": {"check_operation"}, "operation": {op.ID}, "key": {"console-stale"}}
		resp := b.do("POST", "/admin/payments/"+p.ID+path, form)
		refusal := refusalText.FindStringSubmatch(b.last)
		if resp.StatusCode != http.StatusConflict || refusal == nil || html.UnescapeString(refusal[1]) != want || keyField.MatchString(b.last) {
			t.Fatalf("%s: %d, refusal %q, form shown %v; want 409 %q and no form\n%s", path, resp.StatusCode, refusal, keyField.MatchString(b.last), want, b.last)
		}
	}
	form := url.Values{"csrf": {csrf}, "action": {"resolve"}, "operation": {op.ID}, "as": {"failed"}, "note": {"the process died"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", form); resp.StatusCode != 200 || !keyField.MatchString(b.last) {
		t.Fatalf("resolve of a submitting operation: %d, want its confirmation form\n%s", resp.StatusCode, b.last)
	}
}
