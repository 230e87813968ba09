package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// refusingResolver refuses every resolution as the engine refuses one it
// cannot make now, the operation still in doubt (getpaid.ErrConflict with
// the reason): a refund a notification may have counted already, or a
// payment that changed meanwhile.
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

// A resolution refused while the operation is still in doubt is 409 saying
// why, as the README says ("saying so: compare the refund ids…"): it said
// "the operation has already unknown: nothing is left to check or resolve",
// as if it were settled, and the operator was not told what to do.
func TestResolveConflictInDoubtSaysWhy(t *testing.T) {
	t.Parallel()
	for _, why := range []string{
		"refunds the broker reported without naming their operation were counted against the reservations of this payment's refunds under way: this refund may be one of them, counted already",
		"the payment changed while the refund was being resolved; resolve it again",
	} {
		t.Run(why[:20], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{wrapService: func(s getpaid.Service) getpaid.Service { return refusingResolver{s, why} }})
			p := e.paidThroughPaywall("o-refused-resolve", "100.00")
			op := recordRefund(t, e.store, p.ID, getpaid.OpUnknown)
			resp, body := e.do("POST", "/api/v1/operations/"+op.ID+"/resolve", map[string]string{"as": "succeeded", "note": "seen in the panel"}, auth)
			var got errorBody
			if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 409 || got.Error.Code != "conflict" || len(got.Error.Operation) == 0 {
				t.Fatalf("resolve refused: %d %s; want 409 conflict with the operation", resp.StatusCode, body)
			}
			if strings.Contains(got.Error.Message, "already unknown") || !strings.Contains(got.Error.Message, why) {
				t.Fatalf("message %q: want the engine's reason %q, not that the operation has ended", got.Error.Message, why)
			}
		})
	}
}

// A resolution refused because the operation's broker call may still run
// says when it is taken for lost as serve's default is: 2 min, or 3 × the
// longest backend timeout once that is a minute or more (the README's
// resume_operations_after); it said "2 min by default" alone, which a
// server with a 60 s timeout (3 min) does not keep to.
func TestResolveSubmittingSaysWhenTakenForLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-resolve-running", "100.00")
	op := recordRefund(t, e.store, p.ID, getpaid.OpSubmitting)
	resp, body := e.do("POST", "/api/v1/operations/"+op.ID+"/resolve", map[string]string{"as": "failed", "note": "not in the panel"}, auth)
	var got errorBody
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 409 || got.Error.Code != "conflict" {
		t.Fatalf("resolve of an operation in its broker call: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(got.Error.Message, "resume_operations_after") || !strings.Contains(got.Error.Message, "3 × the longest backend timeout") {
		t.Fatalf("message %q: want when it is taken for lost, as serve's default says it", got.Error.Message)
	}
}
