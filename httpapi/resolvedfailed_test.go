package httpapi_test

import (
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// A retry, with its key, of an operation an operator resolved as failed
// says an operator decided so: it said "the broker did not carry it out",
// which no broker said.
func TestRetryOfOperationResolvedFailed(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: secret, Fault: dummy.FaultTimeoutBefore})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "faulty", Broker: d}}})
	p := e.create("o-resolved", "10.00", "PLN", "faulty")
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	if resp, b := e.postCallback("faulty", body, sig, nil); resp.StatusCode != 200 {
		t.Fatalf("callback: %d %s", resp.StatusCode, b)
	}
	code, a, _ := e.action(p.ID, "refund", "4.00", keyed("k-resolved"))
	if code != 409 || a.Error.Code != "operation_in_doubt" || a.Error.Operation == nil {
		t.Fatalf("refund with a lost answer: %d %+v", code, a.Error)
	}
	if resp, b := e.do("POST", "/api/v1/operations/"+a.Error.Operation.ID+"/resolve",
		map[string]string{"as": "failed", "note": "not in the panel", "by": "alice"}, auth); resp.StatusCode != 200 {
		t.Fatalf("resolve: %d %s", resp.StatusCode, b)
	}
	code, a, _ = e.action(p.ID, "refund", "4.00", keyed("k-resolved"))
	want := "the operation failed: alice resolved it as not done (the operation's note says why)"
	if code != 422 || a.Error.Code != "operation_failed" || a.Error.Message != want {
		t.Fatalf("retry: %d %+v; want 422 operation_failed, %q", code, a.Error, want)
	}
}
