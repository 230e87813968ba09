package httpapi_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A route whose body is optional took an empty body sent chunked (no
// Content-Length, as some HTTP clients send even nothing) for JSON that is
// missing: a refund of the whole amount was 400 "the body is empty", and
// an operation's check or a replay "reads no body". Empty is empty, however
// it is framed; a chunked body that is not empty is still read.
func TestEmptyChunkedBodyIsNoBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-chunked", "10.00")
	refund := "/api/v1/payments/" + p.ID + "/refund"
	resp, out := e.post(refund, hidden{strings.NewReader("")}, -1, keyed("k-empty"))
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		t.Fatalf("refund with an empty chunked body: %d %s, want the whole amount refunded", resp.StatusCode, out)
	}
	e.dummy.Wait()
	if got := e.payment(p.ID); got.Refunded != "10.00" || got.Status != getpaid.StatusRefunded {
		t.Fatalf("after a refund of the whole amount: %s refunded %s", got.Status, got.Refunded)
	}
	q := e.paidThroughPaywall("o-chunked-2", "10.00")
	hdr := keyed("k-part")
	hdr["Content-Type"] = "application/json"
	body := `{"amount":"4.00"}`
	resp, out = e.post("/api/v1/payments/"+q.ID+"/refund", hidden{strings.NewReader(body)}, -1, hdr)
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		t.Fatalf("refund with a chunked JSON body: %d %s", resp.StatusCode, out)
	}
	e.dummy.Wait()
	if got := e.payment(q.ID); got.Refunded != "4.00" {
		t.Fatalf("a chunked body's amount was not read: refunded %s, want 4.00", got.Refunded)
	}
	for _, path := range []string{"/api/v1/events/replay_dead?endpoint=" + "https%3A%2F%2Fhooks.example%2Fx"} {
		resp, out := e.post(path, hidden{strings.NewReader("")}, -1, auth)
		if strings.Contains(string(out), "reads no body") {
			t.Errorf("%s with an empty chunked body: %d %s", path, resp.StatusCode, out)
		}
	}
}
