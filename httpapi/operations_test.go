package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/webhook"
)

// paidThroughPaywall makes a payment of amount PLN paid on the dummy paywall.
func (e *env) paidThroughPaywall(order, amount string) httpapi.PaymentJSON {
	e.t.Helper()
	p := e.create(order, amount, "PLN", "dummy")
	u, _ := url.Parse(p.Redirect.URL)
	q := u.Query()
	q.Set("outcome", "paid")
	e.postForm("/broker/dummy/choose", q)
	e.dummy.Wait()
	return p
}

func keyed(key string) map[string]string {
	return map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": key}
}

type actionAnswer struct {
	httpapi.PaymentJSON
	Error struct {
		Code      string
		Message   string
		Field     string
		Operation *httpapi.OperationJSON
	}
}

func (e *env) action(id, action, amount string, hdr map[string]string) (int, actionAnswer, string) {
	e.t.Helper()
	var body any
	if amount != "" {
		body = map[string]string{"amount": amount}
	}
	resp, b := e.do("POST", "/api/v1/payments/"+id+"/"+action, body, hdr)
	var a actionAnswer
	_ = json.Unmarshal(b, &a)
	return resp.StatusCode, a, resp.Header.Get("Location")
}

// Issue 9: money operations through the JSON API, with idempotency keys,
// doubt, listings and an operator's resolution.
func TestOperationsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-ops", "100.00")
	if code, a, _ := e.action(p.ID, "refund", "30.00", auth); code != 422 || a.Error.Field != "Idempotency-Key" {
		t.Fatalf("refund without a key: %d %+v", code, a.Error)
	}
	code, a, loc := e.action(p.ID, "refund", "30.00", keyed("k1"))
	if code != 200 || a.Status != getpaid.StatusPartiallyRefunded || a.Operation == nil || a.Operation.State != getpaid.OpSucceeded ||
		loc != "/api/v1/operations/"+a.Operation.ID || len(a.Operations) != 1 || a.Operation.Amount != "30.00" {
		t.Fatalf("refund: %d %+v %q", code, a, loc)
	}
	first := a.Operation.ID
	if code, a, _ := e.action(p.ID, "refund", "30.00", keyed("k1")); code != 200 || a.Operation.ID != first {
		t.Fatalf("retry with the same key: %d %+v", code, a.Operation)
	}
	if code, a, _ := e.action(p.ID, "refund", "31.00", keyed("k1")); code != 422 || a.Error.Field != "Idempotency-Key" {
		t.Fatalf("the same key for another amount: %d %+v", code, a.Error)
	}
	// The broker's answer is lost: the operation is in doubt, said so with
	// the operation; a retry with the key is told the same.
	if err := e.dummy.SetFault(dummy.FaultTimeoutAfter); err != nil {
		t.Fatal(err)
	}
	code, a, _ = e.action(p.ID, "refund", "10.00", keyed("k2"))
	if code != 409 || a.Error.Code != "operation_in_doubt" || a.Error.Operation == nil || a.Error.Operation.State != getpaid.OpUnknown {
		t.Fatalf("refund in doubt: %d %+v", code, a.Error)
	}
	doubt := a.Error.Operation.ID
	_ = e.dummy.SetFault(dummy.FaultNone)
	if code, a, _ := e.action(p.ID, "refund", "10.00", keyed("k2")); code != 409 || a.Error.Code != "operation_in_doubt" {
		t.Fatalf("retry in doubt: %d %+v", code, a.Error)
	}
	resp, body := e.do("GET", "/api/v1/operations?state=unknown", nil, auth)
	var list httpapi.OperationListJSON
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Operations) != 1 || list.Operations[0].ID != doubt {
		t.Fatalf("operations in doubt: %d %s", resp.StatusCode, body)
	}
	// Checked with its broker now: accepted, due at once, still in doubt
	// until the reconciler has asked.
	resp, body = e.do("POST", "/api/v1/operations/"+doubt+"/check", nil, auth)
	var checked httpapi.OperationJSON
	if err := json.Unmarshal(body, &checked); err != nil || resp.StatusCode != 202 || checked.ID != doubt || checked.State != getpaid.OpUnknown {
		t.Fatalf("check now: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/api/v1/operations/"+doubt+"/check", map[string]string{"now": "yes"}, auth); resp.StatusCode != 400 {
		t.Fatalf("check with a body: %d %s, want 400", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/api/v1/operations/op_nope/check", nil, auth); resp.StatusCode != 404 {
		t.Fatalf("check of an unknown operation: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do("POST", "/api/v1/operations/"+doubt+"/check", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("check without the API key: %d", resp.StatusCode)
	}
	for _, bad := range []map[string]string{
		{"as": "succeeded", "note": "seen\nin the panel"},
		{"as": "succeeded", "note": "seen in the panel", "by": "alice\x00"},
		{"as": "succeeded", "note": "seen in the panel", "by": strings.Repeat("a", 101)},
	} {
		if resp, body := e.do("POST", "/api/v1/operations/"+doubt+"/resolve", bad, auth); resp.StatusCode != 422 {
			t.Fatalf("resolve with %q: %d %s, want 422 and nothing resolved", bad, resp.StatusCode, body)
		}
	}
	resp, body = e.do("POST", "/api/v1/operations/"+doubt+"/resolve", map[string]string{"as": "succeeded", "note": "seen in the broker's panel", "by": "alice"}, auth)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"resolved_by":"alice"`) || !strings.Contains(string(body), `"refunded":"40.00"`) {
		t.Fatalf("resolve: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/api/v1/operations/"+doubt+"/resolve", map[string]string{"as": "failed", "note": "again"}, auth); resp.StatusCode != 409 {
		t.Fatalf("resolving a final operation: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/api/v1/operations/"+doubt+"/check", nil, auth); resp.StatusCode != 409 {
		t.Fatalf("checking a final operation: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/api/v1/payments/"+p.ID+"/operations", nil, auth)
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Operations) != 2 || list.Operations[0].ID != doubt {
		t.Fatalf("payment operations, newest first: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do("GET", "/api/v1/payments/pay_nope/operations", nil, auth); resp.StatusCode != 404 {
		t.Fatalf("operations of an unknown payment: %d", resp.StatusCode)
	}
	got := e.payment(p.ID)
	if len(got.Operations) != 2 {
		t.Fatalf("the payment's JSON shows %d operations", len(got.Operations))
	}
}

// Issue 11: the events API lists events with their deliveries, shows one
// with its attempts, and replays it.
func TestEventsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-ev", "10.00")
	e.statusEvents(p.ID, getpaid.StatusPaid) // waits for the deliveries
	resp, body := e.do("GET", "/api/v1/events?payment_id="+p.ID, nil, auth)
	var list httpapi.EventListJSON
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Events) != 3 {
		t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	paid := list.Events[0]
	if paid.To != getpaid.StatusPaid || len(paid.Deliveries) != 1 || paid.Deliveries[0].Status != getpaid.DeliveryDelivered {
		t.Fatalf("newest event %+v", paid)
	}
	// Each event's payment version, as its webhook body says it: the
	// order of a payment's events for a client reading them here.
	if created := list.Events[2]; created.Version != 1 || list.Events[1].Version <= 1 || paid.Version <= list.Events[1].Version {
		t.Fatalf("versions %d, %d, %d (oldest first): want 1, then higher each", created.Version, list.Events[1].Version, paid.Version)
	}
	resp, body = e.do("GET", "/api/v1/events/"+paid.ID, nil, auth)
	var one httpapi.EventJSON
	if err := json.Unmarshal(body, &one); err != nil || resp.StatusCode != 200 || len(one.Deliveries[0].History) != 1 {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("POST", "/api/v1/events/"+paid.ID+"/replay", nil, auth)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"replayed":1`) {
		t.Fatalf("replay: %d %s", resp.StatusCode, body)
	}
	e.statusEvents(p.ID, getpaid.StatusPaid)
	if n := e.statusEvents(p.ID, getpaid.StatusPaid); n != 2 {
		t.Fatalf("the listener got the paid event %d times after a replay, want 2", n)
	}
	if resp, _ := e.do("GET", "/api/v1/events?status=bogus", nil, auth); resp.StatusCode != 422 {
		t.Fatalf("bad status filter: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/api/v1/events/evt_nope", nil, auth); resp.StatusCode != 404 {
		t.Fatalf("unknown event: %d", resp.StatusCode)
	}
	resp, body = e.do("GET", "/api/v1/events?status=delivered&payment_id="+p.ID, nil, auth)
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Events) != 3 {
		t.Fatalf("delivered events: %d %s", resp.StatusCode, body)
	}
}

// An amount is what to capture or refund; release, cancel and the advance
// decisions take none. Sent to them, it is refused and nothing changes: a
// release "of 10.00" must not release the whole hold.
func TestActionAmountOnlyForCaptureAndRefund(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	held := e.create("o-held", "100.00", "PLN", "dummy")
	u, _ := url.Parse(held.Redirect.URL)
	q := u.Query()
	q.Set("outcome", "pre_auth")
	e.postForm("/broker/dummy/choose", q)
	e.dummy.Wait()
	waiting := e.create("o-waiting", "100.00", "PLN", "dummy")
	paid := e.paidThroughPaywall("o-paid", "100.00")
	for _, tc := range []struct {
		id, action string
		want       getpaid.Status
	}{
		{held.ID, "release", getpaid.StatusPreAuth},
		{waiting.ID, "cancel", getpaid.StatusPrepared},
		{paid.ID, "accept_advance", getpaid.StatusPaid},
		{paid.ID, "reject_advance", getpaid.StatusPaid},
		{paid.ID, "poll", getpaid.StatusPaid},
	} {
		code, a, _ := e.action(tc.id, tc.action, "10.00", keyed("amount-"+tc.action))
		if code != 422 || a.Error.Field != "amount" || a.Error.Code != "invalid_amount" {
			t.Errorf("%s with an amount: %d %+v, want 422 invalid_amount naming amount", tc.action, code, a.Error)
		}
		if got := e.payment(tc.id); got.Status != tc.want || len(got.Operations) != 0 {
			t.Errorf("%s with an amount changed the payment: %s, %d operations", tc.action, got.Status, len(got.Operations))
		}
	}
	if code, _, _ := e.action(paid.ID, "explode", "10.00", auth); code != 404 {
		t.Errorf("an unknown action with an amount: %d, want 404", code)
	}
	if got := e.payment(held.ID); got.Locked != "100.00" {
		t.Errorf("the hold after a refused release: %s", got.Locked)
	}
}

// A refund or capture body whose amount is null or empty is refused naming
// amount, and moves no money: it is not read as "the whole amount" (a
// client's partial amount that came out as None would refund everything).
// Unknown keys stay refused; a decimal string still refunds that much.
func TestActionAmountNullOrEmptyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-null-amount", "100.00")
	for i, tc := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"amount":null}`, 422, "amount"},
		{`{"amount":""}`, 422, "amount"},
		{` { "amount" : null } `, 422, "amount"},
		{`{"amount":"10.00","note":"x"}`, 400, ""},
		{`{"amount":10}`, 400, ""},
		{`{"amount":"10.00"`, 400, ""},
		{`{"amount":nul}`, 400, ""},
	} {
		for _, action := range []string{"refund", "capture"} {
			hdr := keyed(fmt.Sprint("null-", action, i))
			hdr["Content-Type"] = "application/json"
			resp, body := e.doRaw("POST", "/api/v1/payments/"+p.ID+"/"+action, tc.body, hdr)
			var a actionAnswer
			_ = json.Unmarshal(body, &a)
			if resp.StatusCode != tc.status || a.Error.Field != tc.field {
				t.Errorf("%s %s: %d field %q, want %d field %q (%s)", action, tc.body, resp.StatusCode, a.Error.Field, tc.status, tc.field, body)
			}
		}
	}
	if got := e.payment(p.ID); got.Status != getpaid.StatusPaid || got.Refunded != "0.00" || len(got.Operations) != 0 {
		t.Fatalf("after refused bodies: %s, refunded %s, %d operations; want untouched", got.Status, got.Refunded, len(got.Operations))
	}
	if code, a, _ := e.action(p.ID, "refund", "10.00", keyed("null-ok")); code != 200 || a.Refunded != "10.00" {
		t.Fatalf("refund of 10.00: %d, refunded %s", code, a.Refunded)
	}
}

// A replay names its endpoint in the query: an endpoint getpaid does not
// deliver to is refused naming it, and a body (the endpoint put there by
// mistake) is refused; neither replays anything.
func TestReplayRefusesWhatItCannotHonour(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-replay", "10.00")
	e.statusEvents(p.ID, getpaid.StatusPaid)
	resp, body := e.do("GET", "/api/v1/events?payment_id="+p.ID, nil, auth)
	var list httpapi.EventListJSON
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Events) == 0 {
		t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	paid := list.Events[0].ID
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"unknown endpoint", "/api/v1/events/" + paid + "/replay?endpoint=https://typo.example/hook", nil, 422, "endpoint"},
		{"unknown endpoint, dead", "/api/v1/events/replay_dead?endpoint=https://typo.example/hook", nil, 422, "endpoint"},
		{"endpoint in a body", "/api/v1/events/" + paid + "/replay", map[string]string{"endpoint": "https://typo.example/hook"}, 400, ""},
		{"body on replay_dead", "/api/v1/events/replay_dead", map[string]string{"endpoint": "https://typo.example/hook"}, 400, ""},
		{"unknown endpoint, waiting", "/api/v1/events/retry_waiting?endpoint=https://typo.example/hook", nil, 422, "endpoint"},
		{"body on retry_waiting", "/api/v1/events/retry_waiting", map[string]string{"endpoint": "https://typo.example/hook"}, 400, ""},
	} {
		resp, body := e.do("POST", tc.path, tc.body, auth)
		var out struct {
			Error struct{ Code, Message, Field string }
		}
		_ = json.Unmarshal(body, &out)
		if resp.StatusCode != tc.status || out.Error.Field != tc.field || out.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d naming %q", tc.name, resp.StatusCode, body, tc.status, tc.field)
		}
	}
	// The listing too: an endpoint nothing was ever delivered to is a
	// typo, not "no dead letters".
	for _, path := range []string{"/api/v1/events?endpoint=https://typo.example/hook", "/api/v1/events?status=dead&endpoint=https://typo.example/hook"} {
		resp, body := e.do("GET", path, nil, auth)
		if resp.StatusCode != 422 || !strings.Contains(string(body), `"field":"endpoint"`) {
			t.Errorf("GET %s: %d %s, want 422 naming endpoint", path, resp.StatusCode, body)
		}
	}
	if resp, body := e.do("POST", "/api/v1/events/retry_waiting", nil, auth); resp.StatusCode != 200 || !strings.Contains(string(body), `"replayed":0`) {
		t.Errorf("retry_waiting with nothing waiting: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/api/v1/events/"+paid, nil, auth)
	var one httpapi.EventJSON
	if err := json.Unmarshal(body, &one); err != nil || resp.StatusCode != 200 {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	for _, d := range one.Deliveries {
		if d.Status != getpaid.DeliveryDelivered || len(d.History) != 1 {
			t.Errorf("a refused replay touched %s: %s after %d attempts", d.Consumer, d.Status, len(d.History))
		}
	}
}

// POST /api/v1/events/discard?endpoint=URL retires what an endpoint removed
// from webhooks: left pending or dead; an endpoint still configured or none
// named is 422, a body 400; the deliveries then list as discarded.
func TestDiscardRemovedEndpoint(t *testing.T) {
	t.Parallel()
	const old = "https://old.example/hook"
	before := newEnv(t, envOpts{})
	ep, err := webhook.New(webhook.Config{URL: old, Secrets: []string{webhook.NewSecret()},
		Client: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("down") })}})
	if err != nil {
		t.Fatal(err)
	}
	before.eng.AddConsumer(ep)
	p := before.paidThroughPaywall("o-discard", "10.00")
	after := newEnv(t, envOpts{useStore: before.store})
	kept, err := webhook.New(webhook.Config{URL: "https://shop.example/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	after.eng.AddConsumer(kept)
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
	}{
		{"no endpoint", "/api/v1/events/discard", nil, 422},
		{"an endpoint still configured", "/api/v1/events/discard?endpoint=https://shop.example/hook", nil, 422},
		{"a body", "/api/v1/events/discard", map[string]string{"endpoint": old}, 400},
		{"an unknown parameter", "/api/v1/events/discard?endpoint=" + old + "&all=1", nil, 422},
	} {
		if resp, body := after.do("POST", tc.path, tc.body, auth); resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}
	resp, body := after.do("POST", "/api/v1/events/discard?endpoint="+url.QueryEscape(old)+"&by=alice", nil, auth)
	var out httpapi.DiscardJSON
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 || out.Discarded == 0 {
		t.Fatalf("discard: %d %s", resp.StatusCode, body)
	}
	page, err := after.eng.Deliveries(context.Background(), getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "webhook:" + old})
	if err != nil || len(page.Deliveries) != out.Discarded {
		t.Fatalf("deliveries to the removed endpoint: %+v, %v; want %d", page, err, out.Discarded)
	}
	for _, d := range page.Deliveries {
		if d.State != getpaid.DeliveryDiscarded || !strings.Contains(d.LastError, "alice") {
			t.Errorf("after the discard: %s %q", d.State, d.LastError)
		}
	}
	if resp, body := after.do("GET", "/api/v1/events?status=discarded", nil, auth); resp.StatusCode != 200 || !strings.Contains(string(body), `"discarded"`) {
		t.Errorf("listing the discarded: %d %s", resp.StatusCode, body)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
