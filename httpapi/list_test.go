package httpapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
)

// list answers GET /api/v1/payments?q, checking the shape of the answer:
// an object with "payments" (always an array) and "next_cursor" only when
// there is a next page.
func (e *env) list(q url.Values) httpapi.PaymentListJSON {
	e.t.Helper()
	resp, body := e.do("GET", "/api/v1/payments?"+q.Encode(), nil, auth)
	if resp.StatusCode != 200 {
		e.t.Fatalf("list %s: %d %s", q.Encode(), resp.StatusCode, body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		e.t.Fatalf("list %s: %v\n%s", q.Encode(), err, body)
	}
	if p, ok := raw["payments"]; !ok || p[0] != '[' {
		e.t.Fatalf("list %s: no payments array: %s", q.Encode(), body)
	}
	for k := range raw {
		if k != "payments" && k != "next_cursor" {
			e.t.Fatalf("list %s: unexpected key %q", q.Encode(), k)
		}
	}
	var out httpapi.PaymentListJSON
	if err := json.Unmarshal(body, &out); err != nil {
		e.t.Fatal(err)
	}
	if c, ok := raw["next_cursor"]; ok && out.NextCursor == "" {
		e.t.Fatalf("list %s: empty next_cursor %s", q.Encode(), c)
	}
	return out
}

// walk follows next_cursor from the first page of q to the last and returns
// every payment listed, in order, and the number of pages.
func (e *env) walk(q url.Values) ([]*httpapi.PaymentJSON, int) {
	e.t.Helper()
	var all []*httpapi.PaymentJSON
	for pages := 1; ; pages++ {
		page := e.list(q)
		all = append(all, page.Payments...)
		if page.NextCursor == "" {
			return all, pages
		}
		if pages > 1000 {
			e.t.Fatal("listing never ends")
		}
		q.Set("cursor", page.NextCursor)
	}
}

func ids(ps []*httpapi.PaymentJSON) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func reversed(s []string) []string {
	c := slices.Clone(s)
	slices.Reverse(c)
	return c
}

// Issue 7: GET /api/v1/payments lists payments newest first, filtered by
// order, status, backend and creation time, a page at a time.
func TestListPayments(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		// Order o-list: three payments through dummy, one paid, one failed.
		var orderIDs []string
		for range 3 {
			orderIDs = append(orderIDs, e.create("o-list", "10.00", "PLN", "dummy").ID)
		}
		for i, status := range map[int]string{0: "paid", 1: "failed"} {
			b, sig := signed(dummy.Callback{PaymentID: orderIDs[i], EventID: "evt-" + status, Status: status, Amount: "10.00", Currency: "PLN"})
			if resp, body := e.callback(b, sig); resp.StatusCode != 200 {
				t.Fatalf("%s callback: %d %s", status, resp.StatusCode, body)
			}
		}
		// Two of another order through the yen backend, then many of a third.
		var yen []string
		for range 2 {
			yen = append(yen, e.create("o-yen", "100", "JPY", "yen").ID)
		}
		var many []string
		for range 61 {
			many = append(many, e.create("o-many", "1.00", "EUR", "dummy").ID)
		}
		created := slices.Concat(orderIDs, yen, many) // oldest first

		t.Run("by order, newest first", func(t *testing.T) {
			got := e.list(url.Values{"order_id": {"o-list"}})
			if !slices.Equal(ids(got.Payments), reversed(orderIDs)) || got.NextCursor != "" {
				t.Fatalf("order o-list: %v cursor %q, want %v and no cursor", ids(got.Payments), got.NextCursor, reversed(orderIDs))
			}
			if got.Payments[2].Status != getpaid.StatusPaid || got.Payments[1].Status != getpaid.StatusFailed || got.Payments[0].Status != getpaid.StatusPrepared {
				t.Fatalf("statuses %s %s %s", got.Payments[0].Status, got.Payments[1].Status, got.Payments[2].Status)
			}
			if got := e.list(url.Values{"order_id": {"o-none"}}); len(got.Payments) != 0 || got.NextCursor != "" {
				t.Fatalf("an order without payments: %+v", got)
			}
		})
		t.Run("filters", func(t *testing.T) {
			tests := []struct {
				name string
				q    url.Values
				want []string
			}{
				{"status", url.Values{"status": {"paid"}}, orderIDs[:1]},
				{"status and order", url.Values{"status": {"prepared"}, "order_id": {"o-list"}}, orderIDs[2:]},
				{"backend", url.Values{"backend": {"yen"}}, reversed(yen)},
				{"backend and order", url.Values{"backend": {"dummy"}, "order_id": {"o-list"}}, reversed(orderIDs)},
				{"currency", url.Values{"currency": {"JPY"}}, reversed(yen)},
				{"nothing matches", url.Values{"backend": {"yen"}, "order_id": {"o-list"}}, nil},
			}
			for _, tt := range tests {
				got, _ := e.walk(tt.q)
				if !slices.Equal(ids(got), tt.want) {
					t.Errorf("%s: %v, want %v", tt.name, ids(got), tt.want)
				}
			}
		})
		t.Run("created range", func(t *testing.T) {
			all, _ := e.walk(url.Values{"limit": {"500"}})
			pivot := all[len(all)/2].CreatedAt // created_after is inclusive, created_before strict
			var after, before []string
			for _, p := range all {
				if !p.CreatedAt.Before(pivot) {
					after = append(after, p.ID)
				} else {
					before = append(before, p.ID)
				}
			}
			at := pivot.Format(time.RFC3339Nano)
			if got, _ := e.walk(url.Values{"created_after": {at}, "limit": {"7"}}); !slices.Equal(ids(got), after) {
				t.Errorf("created_after %s: %d payments, want %d", at, len(got), len(after))
			}
			if got, _ := e.walk(url.Values{"created_before": {at}, "limit": {"7"}}); !slices.Equal(ids(got), before) {
				t.Errorf("created_before %s: %d payments, want %d", at, len(got), len(before))
			}
			// RFC 3339 section 5.6 lets "T" and "Z" be lower case.
			lower := strings.NewReplacer("T", "t", "Z", "z").Replace(pivot.UTC().Format(time.RFC3339Nano))
			if got, _ := e.walk(url.Values{"created_after": {lower}, "limit": {"7"}}); !slices.Equal(ids(got), after) {
				t.Errorf("created_after %s: %d payments, want %d", lower, len(got), len(after))
			}
			if len(after) == 0 || len(before) == 0 {
				t.Fatalf("the pivot split nothing: %d after, %d before", len(after), len(before))
			}
			if got, _ := e.walk(url.Values{"created_after": {at}, "created_before": {at}}); len(got) != 0 {
				t.Errorf("an empty range listed %d payments", len(got))
			}
		})
		t.Run("limit and cursor", func(t *testing.T) {
			first := e.list(url.Values{"order_id": {"o-many"}})
			if len(first.Payments) != getpaid.DefaultPageSize || first.NextCursor == "" {
				t.Fatalf("default page: %d payments, cursor %q; want 50 and a cursor", len(first.Payments), first.NextCursor)
			}
			last := e.list(url.Values{"order_id": {"o-many"}, "cursor": {first.NextCursor}})
			if len(last.Payments) != 11 || last.NextCursor != "" {
				t.Fatalf("last page: %d payments, cursor %q; want 11 and none", len(last.Payments), last.NextCursor)
			}
			if got := slices.Concat(ids(first.Payments), ids(last.Payments)); !slices.Equal(got, reversed(many)) {
				t.Fatal("two pages do not list the order's payments newest first")
			}
			if got := e.list(url.Values{"order_id": {"o-many"}, "limit": {"500"}}); len(got.Payments) != 61 || got.NextCursor != "" {
				t.Fatalf("limit 500: %d payments, cursor %q", len(got.Payments), got.NextCursor)
			}
			if got := e.list(url.Values{"order_id": {"o-many"}, "limit": {"61"}}); len(got.Payments) != 61 || got.NextCursor != "" {
				t.Fatalf("a page exactly as long as the listing: %d payments, cursor %q", len(got.Payments), got.NextCursor)
			}
			// A listing takes back only its own cursors: another's is a
			// position in another table, and would answer a wrong page.
			resp, body := e.do("GET", "/api/v1/events?limit=1", nil, auth)
			var events struct {
				NextCursor string `json:"next_cursor"`
			}
			if err := json.Unmarshal(body, &events); err != nil || events.NextCursor == "" {
				t.Fatalf("events: %d %s, want a next_cursor", resp.StatusCode, body)
			}
			for _, c := range []struct{ path, cursor string }{
				{"/api/v1/events", first.NextCursor},
				{"/api/v1/events?status=pending", first.NextCursor},
				{"/api/v1/events?status=pending", events.NextCursor},
				{"/api/v1/operations", first.NextCursor},
				{"/api/v1/payments", events.NextCursor},
				{"/api/v1/payments", strings.TrimPrefix(first.NextCursor, "p.")}, // the bare position of before
				{"/api/v1/payments", "p."},                                       // the mark alone
				{"/api/v1/payments", "p.zzz"},                                    // the mark on no position
			} {
				sep := "?"
				if strings.Contains(c.path, "?") {
					sep = "&"
				}
				resp, body := e.do("GET", c.path+sep+"cursor="+url.QueryEscape(c.cursor), nil, auth)
				if got := errorOf(t, body); resp.StatusCode != 422 || got.Code != "bad_request" {
					t.Errorf("%s with cursor %q: %d %s, want 422", c.path, c.cursor, resp.StatusCode, body)
				}
			}
			for _, bad := range []string{"0", "-1", "501", "many", "1.5"} {
				resp, body := e.do("GET", "/api/v1/payments?limit="+bad, nil, auth)
				var out struct{ Error struct{ Field string } }
				_ = json.Unmarshal(body, &out)
				if resp.StatusCode != 422 || out.Error.Field != "limit" {
					t.Errorf("limit=%s: %d %s, want 422 naming limit", bad, resp.StatusCode, body)
				}
			}
			// An offset's + written as is in a URL arrives as a space:
			// the message says so, not only that the time is wrong.
			for _, name := range []string{"created_after", "created_before"} {
				resp, body := e.do("GET", "/api/v1/payments?"+name+"=2026-12-01T10:00:00+01:00", nil, auth)
				var out struct {
					Error struct{ Field, Message string }
				}
				_ = json.Unmarshal(body, &out)
				if resp.StatusCode != 422 || out.Error.Field != name || !strings.Contains(out.Error.Message, "%2B") {
					t.Errorf("%s with a + unescaped: %d %s, want 422 saying to write it %%2B", name, resp.StatusCode, body)
				}
			}
			// A filter left empty (?order_id= from a variable that was
			// not set) would list everything, every order's payments.
			for _, c := range []struct{ path, field string }{
				{"/api/v1/payments?order_id=", "order_id"}, {"/api/v1/payments?status=", "status"},
				{"/api/v1/payments?backend=&limit=5", "backend"}, {"/api/v1/payments?currency=", "currency"},
				{"/api/v1/payments?created_after=", "created_after"}, {"/api/v1/payments?created_before=", "created_before"},
				{"/api/v1/operations?payment_id=", "payment_id"}, {"/api/v1/operations?state=", "state"},
				{"/api/v1/operations?kind=", "kind"}, {"/api/v1/operations?flagged=", "flagged"},
				{"/api/v1/events?payment_id=", "payment_id"}, {"/api/v1/events?status=", "status"},
				{"/api/v1/events?endpoint=", "endpoint"},
			} {
				resp, body := e.do("GET", c.path, nil, auth)
				var out struct {
					Error struct{ Field, Message string }
				}
				_ = json.Unmarshal(body, &out)
				if resp.StatusCode != 422 || out.Error.Field != c.field || !strings.Contains(out.Error.Message, "empty") {
					t.Errorf("%s: %d %.200s, want 422 naming %s as empty", c.path, resp.StatusCode, body, c.field)
				}
			}
		})
		t.Run("walking the pages lists every payment once", func(t *testing.T) {
			for _, limit := range []string{"1", "7", "50"} {
				all, pages := e.walk(url.Values{"limit": {limit}})
				if !slices.Equal(ids(all), reversed(created)) {
					t.Fatalf("limit %s: %d payments over %d pages, want all %d once, newest first", limit, len(all), pages, len(created))
				}
				for i := 1; i < len(all); i++ {
					if all[i].CreatedAt.After(all[i-1].CreatedAt) {
						t.Fatalf("limit %s: %s created after %s is listed later", limit, all[i].ID, all[i-1].ID)
					}
				}
			}
		})
	})
}

// Issue 7: a broker's event id is deduplicated within its payment, not
// across payments. Two payments whose signed paid callbacks carry the same
// event id both end paid; a repeat to either is a duplicate.
func TestSameEventIDOnTwoPayments(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		a := e.create("o-a", "10.00", "PLN", "dummy")
		b := e.create("o-b", "25.00", "PLN", "dummy")
		for _, step := range []struct {
			p       httpapi.PaymentJSON
			outcome getpaid.Outcome
		}{
			{a, getpaid.OutcomeApplied}, {b, getpaid.OutcomeApplied}, {a, getpaid.OutcomeDuplicate}, {b, getpaid.OutcomeDuplicate},
		} {
			body, sig := signed(dummy.Callback{PaymentID: step.p.ID, EventID: "evt-1", Status: "paid", Amount: step.p.Amount, Currency: "PLN"})
			resp, out := e.callback(body, sig)
			if resp.StatusCode != 200 || resp.Header.Get("X-Getpaid-Outcome") != string(step.outcome) {
				t.Fatalf("paid callback evt-1 for %s: %d %s outcome %q, want %s", step.p.OrderID, resp.StatusCode, out, resp.Header.Get("X-Getpaid-Outcome"), step.outcome)
			}
		}
		for _, p := range []httpapi.PaymentJSON{a, b} {
			if got := e.payment(p.ID); got.Status != getpaid.StatusPaid || got.Captured != p.Amount {
				t.Fatalf("payment of %s: %s captured %s, want paid %s", p.OrderID, got.Status, got.Captured, p.Amount)
			}
			if n := e.statusEvents(p.ID, getpaid.StatusPaid); n != 1 {
				t.Fatalf("payment of %s: %d status events to paid, want 1", p.OrderID, n)
			}
		}
	})
}
