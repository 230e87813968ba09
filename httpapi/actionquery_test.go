package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// An action's parameters travel in its JSON body only. A refund or capture
// whose amount was put in the query string (curl -X POST
// ".../refund?amount=5.00", a client library building a URL) was read as a
// request of the whole amount: the query was ignored and everything was
// refunded. Any query parameter on an action route is refused, naming it,
// and moves no money.
func TestActionQueryRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	paid := e.paidThroughPaywall("o-action-query", "100.00")
	held := e.create("o-action-query-held", "100.00", "PLN", "dummy")
	u, _ := url.Parse(held.Redirect.URL)
	q := u.Query()
	q.Set("outcome", "pre_auth")
	e.postForm("/broker/dummy/choose", q)
	e.dummy.Wait()
	for i, tc := range []struct {
		id, action, query, field string
	}{
		{paid.ID, "refund", "amount=5.00", "amount"},
		{held.ID, "capture", "amount=5.00", "amount"},
		{held.ID, "release", "amount=5.00", "amount"},
		{paid.ID, "refund", "Amount=5.00", "Amount"},
		{paid.ID, "poll", "x=1", "x"},
		{paid.ID, "refund", "amount=5.00;x=1", "amount"},
	} {
		hdr := keyed(fmt.Sprint("query-", i))
		resp, body := e.doRaw("POST", "/api/v1/payments/"+tc.id+"/"+tc.action+"?"+tc.query, "", hdr)
		var a actionAnswer
		_ = json.Unmarshal(body, &a)
		if resp.StatusCode != 422 || a.Error.Field != tc.field {
			t.Errorf("%s?%s: %d field %q, want 422 naming %q (%s)", tc.action, tc.query, resp.StatusCode, a.Error.Field, tc.field, body)
		}
	}
	if got := e.payment(paid.ID); got.Status != getpaid.StatusPaid || got.Refunded != "0.00" || len(got.Operations) != 0 {
		t.Errorf("after refused queries: %s, refunded %s, %d operations; want untouched", got.Status, got.Refunded, len(got.Operations))
	}
	if got := e.payment(held.ID); got.Status != getpaid.StatusPreAuth || got.Locked != "100.00" || len(got.Operations) != 0 {
		t.Errorf("hold after refused queries: %s, locked %s, %d operations; want untouched", got.Status, got.Locked, len(got.Operations))
	}
}

// The other routes whose input is their JSON body alone refuse a query the
// same way: "resolve?as=failed" beside a body saying "succeeded" was
// resolved as the body said, and a create's query was dropped.
func TestBodyRoutesRefuseAQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	resp, body := e.do("POST", "/api/v1/payments?currency=EUR", map[string]any{"order_id": "o-create-query", "amount": "10.00", "currency": "PLN", "backend": "dummy"}, auth)
	var a actionAnswer
	_ = json.Unmarshal(body, &a)
	if resp.StatusCode != 422 || a.Error.Field != "currency" {
		t.Fatalf("create with a query: %d %s; want 422 naming currency", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/api/v1/payments?order_id=o-create-query", nil, auth)
	var list struct{ Payments []json.RawMessage }
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Payments) != 0 {
		t.Fatalf("a create refused for its query made a payment: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/api/v1/operations/op_nope/resolve?as=failed", "/api/v1/operations/op_nope/check?now=1"} {
		var in any
		if strings.HasSuffix(path, "as=failed") {
			in = map[string]string{"as": "succeeded", "note": "seen in the panel"}
		}
		resp, body := e.do("POST", path, in, auth)
		var a actionAnswer
		_ = json.Unmarshal(body, &a)
		if resp.StatusCode != 422 || a.Error.Field == "" {
			t.Errorf("POST %s: %d %s; want 422 naming the parameter (before the operation is looked up)", path, resp.StatusCode, body)
		}
	}
}

// A single payment, operation or event takes no query either: a filter or
// option put there (?expand=history, a bad %-escape) was ignored and the
// whole resource answered 200, while the listings and /events/paused refuse
// such a query, 422 naming it.
func TestOneResourceRefusesAQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-one-query", "10.00")
	c := e.create("o-one-query-cancelled", "10.00", "PLN", "dummy")
	if resp, body := e.do("POST", "/api/v1/payments/"+c.ID+"/cancel", nil, auth); resp.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	var ops struct{ Operations []struct{ ID string } }
	_, body := e.do("GET", "/api/v1/operations?limit=1", nil, auth)
	_ = json.Unmarshal(body, &ops)
	var evs struct{ Events []struct{ ID string } }
	_, body = e.do("GET", "/api/v1/events?limit=1", nil, auth)
	_ = json.Unmarshal(body, &evs)
	if len(evs.Events) != 1 || len(ops.Operations) != 1 {
		t.Fatalf("%d events, %d operations listed; want one of each", len(evs.Events), len(ops.Operations))
	}
	for _, path := range []string{"/api/v1/payments/" + p.ID, "/api/v1/events/" + evs.Events[0].ID, "/api/v1/operations/" + ops.Operations[0].ID} {
		if resp, body := e.doRaw("GET", path, "", auth); resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		for _, tc := range []struct{ query, field string }{
			{"expand=history", "expand"},
			{"%zz", "%zz"},
			{"a;b", "a"},
		} {
			resp, body := e.doRaw("GET", path+"?"+tc.query, "", auth)
			var a actionAnswer
			_ = json.Unmarshal(body, &a)
			if resp.StatusCode != 422 || a.Error.Field != tc.field {
				t.Errorf("GET %s?%s: %d field %q, want 422 naming %q (%s)", path, tc.query, resp.StatusCode, a.Error.Field, tc.field, body)
			}
		}
	}
}
