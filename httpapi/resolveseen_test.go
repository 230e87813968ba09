package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
)

// A resolution sent with the operation as the client read it (seen: its
// updated_at, echoed as GET answered it) after the operation changed (the
// broker's next word, a check) was made all the same: a retry after a lost
// answer, or a decision on what was read before, settled, or acknowledged,
// what nobody was shown. Now it is 409 (conflict) with the operation as it
// is; seen as it is now resolves it; a seen that is no time is 422.
func TestResolveSeenChangedSince(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{store: kind})
			p := e.paidThroughPaywall("o-seen-"+kind, "100.00")
			_ = e.dummy.SetFault(dummy.FaultTimeoutAfter)
			code, a, _ := e.action(p.ID, "refund", "10.00", keyed("k-seen"))
			_ = e.dummy.SetFault(dummy.FaultNone)
			if code != 409 || a.Error.Operation == nil || a.Error.Operation.State != getpaid.OpUnknown {
				t.Fatalf("refund in doubt: %d %+v", code, a.Error)
			}
			id := a.Error.Operation.ID
			read := func() httpapi.OperationJSON {
				t.Helper()
				resp, body := e.do("GET", "/api/v1/operations/"+id, nil, auth)
				var op httpapi.OperationJSON
				if err := json.Unmarshal(body, &op); err != nil || resp.StatusCode != 200 {
					t.Fatalf("GET operation: %d %s", resp.StatusCode, body)
				}
				return op
			}
			seen := func(op httpapi.OperationJSON) string { b, _ := op.UpdatedAt.MarshalText(); return string(b) }
			shown := read()
			// What the reconciler's check records, after the client read it.
			if _, err := e.store.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{
				Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
				Operation: &getpaid.OperationChange{ID: id, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
					o.LastCheck = "the broker has no such refund yet"
					return true, nil
				}},
			}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"", "yesterday"} {
				resp, body := e.do("POST", "/api/v1/operations/"+id+"/resolve", map[string]string{"as": "failed", "note": "not in the panel", "seen": bad}, auth)
				if resp.StatusCode != 422 || !strings.Contains(string(body), "seen") {
					t.Fatalf("seen %q: %d %s, want 422 naming seen", bad, resp.StatusCode, body)
				}
			}
			resp, body := e.do("POST", "/api/v1/operations/"+id+"/resolve", map[string]string{"as": "failed", "note": "not in the panel", "seen": seen(shown)}, auth)
			var got errorBody
			if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 409 || got.Error.Code != "conflict" || len(got.Error.Operation) == 0 ||
				!strings.Contains(got.Error.Message, "changed since it was shown") || !strings.Contains(string(got.Error.Operation), "the broker has no such refund yet") {
				t.Fatalf("resolved with the operation as read before a change: %d %s; want 409 conflict with the operation as it is", resp.StatusCode, body)
			}
			if op := read(); op.State != getpaid.OpUnknown || op.ResolvedBy != "" {
				t.Fatalf("refused, yet resolved: %+v", op)
			}
			resp, body = e.do("POST", "/api/v1/operations/"+id+"/resolve", map[string]string{"as": "failed", "note": "not in the panel", "seen": seen(read())}, auth)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"state":"failed"`) {
				t.Fatalf("resolved with the operation as it is: %d %s", resp.StatusCode, body)
			}
		})
	}
}
