package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
)

// A refund the broker has not finished (here in doubt: its answer was lost)
// is shown on the payment as refund_pending, so a shop can tell what is
// left to refund (captured - refunded - refund_pending) without adding up
// operations; once settled it moves to refunded.
func TestRefundPendingShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-refund-pending", "100.00")
	raw := func() map[string]any {
		t.Helper()
		resp, body := e.do("GET", "/api/v1/payments/"+p.ID, nil, auth)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || resp.StatusCode != 200 {
			t.Fatalf("read: %d %s", resp.StatusCode, body)
		}
		return m
	}
	if m := raw(); m["refund_pending"] != "0.00" {
		t.Fatalf("before any refund: refund_pending %v, want \"0.00\"", m["refund_pending"])
	}
	if err := e.dummy.SetFault(dummy.FaultTimeoutAfter); err != nil {
		t.Fatal(err)
	}
	code, a, _ := e.action(p.ID, "refund", "30.00", keyed("rp1"))
	if code != 409 || a.Error.Operation == nil {
		t.Fatalf("refund in doubt: %d %+v", code, a.Error)
	}
	_ = e.dummy.SetFault(dummy.FaultNone)
	if m := raw(); m["refund_pending"] != "30.00" || m["refunded"] != "0.00" {
		t.Fatalf("refund in doubt: refund_pending %v, refunded %v; want 30.00 and 0.00", m["refund_pending"], m["refunded"])
	}
	resp, body := e.do("GET", "/api/v1/payments?order_id=o-refund-pending", nil, auth)
	var list struct{ Payments []map[string]any }
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Payments) != 1 || list.Payments[0]["refund_pending"] != "30.00" {
		t.Fatalf("listing: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("POST", "/api/v1/operations/"+a.Error.Operation.ID+"/resolve", map[string]string{"as": "succeeded", "note": "seen in the panel"}, auth)
	var settled httpapi.OperationJSON
	if err := json.Unmarshal(body, &settled); err != nil || resp.StatusCode != 200 {
		t.Fatalf("resolve: %d %s", resp.StatusCode, body)
	}
	if m := raw(); m["refund_pending"] != "0.00" || m["refunded"] != "30.00" {
		t.Fatalf("settled: refund_pending %v, refunded %v; want 0.00 and 30.00", m["refund_pending"], m["refunded"])
	}
}
