package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
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
