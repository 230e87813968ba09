package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// errorBody is the documented error shape: {"error":{"code","message","field"}}
// (plus payment_id and operation where an action names them).
type errorBody struct {
	Error struct {
		Code      string          `json:"code"`
		Message   string          `json:"message"`
		Field     string          `json:"field"`
		PaymentID string          `json:"payment_id"`
		Operation json.RawMessage `json:"operation"`
	} `json:"error"`
}

// Every error answer of the API, unknown routes and wrong methods
// included, is JSON in the documented shape, with a stable code and a
// message free of internal detail.
func TestEveryErrorIsDocumentedJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	paid := e.paidThroughPaywall("o-err", "10.00")
	prepared := e.create("o-err-2", "5.00", "PLN", "dummy")
	// a refund of everything, so the payment has nothing left to refund
	refunded := e.paidThroughPaywall("o-err-3", "4.00")
	if code, a, _ := e.action(refunded.ID, "refund", "", keyed("all")); code != 200 {
		t.Fatalf("refund all: %d %+v", code, a.Error)
	}
	if code, a, _ := e.action(paid.ID, "refund", "1.00", keyed("k-1")); code != 200 {
		t.Fatalf("refund: %d %+v", code, a.Error)
	}
	tests := []struct {
		name         string
		method, path string
		body         string
		hdr          map[string]string
		status       int
		code, field  string
		allow        string // the Allow header of a 405
		msgHas       string
	}{
		{"unknown route", "GET", "/api/v1/nope", "", auth, 404, "not_found", "", "", "no such route"},
		{"unknown root path", "GET", "/favicon.ico", "", nil, 404, "not_found", "", "", ""},
		{"unknown version", "POST", "/api/v2/payments", "{}", auth, 404, "not_found", "", "", ""},
		{"wrong method on payments", "DELETE", "/api/v1/payments", "", auth, 405, "method_not_allowed", "", "GET, HEAD, POST", "DELETE is not allowed on /api/v1/payments (allowed: GET, HEAD, POST)"},
		{"a query parameter twice", "GET", "/api/v1/payments?status=paid&status=failed", "", auth, 422, "bad_request", "status", "", "more than once"},
		// the backends listing took only the first currency and ignored
		// unknown parameters, where every other listing refuses both
		{"a currency twice on backends", "GET", "/api/v1/backends?currency=PLN&currency=EUR", "", nil, 422, "bad_request", "currency", "", "more than once"},
		{"unknown parameter on backends", "GET", "/api/v1/backends?curency=PLN", "", nil, 422, "bad_request", "curency", "", "known: currency"},
		// ?currency= with the app's variable unset listed every backend,
		// those that cannot take the order's currency too, where every
		// other listing refuses a filter given empty
		// ?endpoint= with the app's variable unset sent again to every
		// endpoint what it meant to send to one: dead letters, waiting
		// retries, an event (a filter given empty is 422, not "all")
		{"an empty endpoint on replay_dead", "POST", "/api/v1/events/replay_dead?endpoint=", "", auth, 422, "bad_request", "endpoint", "", "empty: give a value, or leave the parameter out"},
		{"an empty endpoint on retry_waiting", "POST", "/api/v1/events/retry_waiting?endpoint=", "", auth, 422, "bad_request", "endpoint", "", "empty: give a value, or leave the parameter out"},
		{"an empty endpoint on an event's replay", "POST", "/api/v1/events/evt_1/replay?endpoint=", "", auth, 422, "bad_request", "endpoint", "", "empty: give a value, or leave the parameter out"},
		// by given empty (an app's unset $OPERATOR) was recorded as the
		// default, "api" or "the JSON API": someone did it, unnamed
		{"an empty by on resolve", "POST", "/api/v1/operations/op_nope/resolve", `{"as":"failed","note":"x","by":""}`, auth, 422, "bad_request", "by", "", "empty"},
		{"an empty by on discard", "POST", "/api/v1/events/discard?endpoint=https://old.example/hook&by=", "", auth, 422, "bad_request", "by", "", "empty: give a value, or leave the parameter out"},
		{"a blank by on discard", "POST", "/api/v1/events/discard?endpoint=https://old.example/hook&by=%20%20", "", auth, 422, "bad_request", "by", "", "blank"},
		// told to send application/json, which it did: the charset is what
		// is refused
		{"JSON in latin1", "POST", "/api/v1/payments", `{"order_id":"o1"}`, map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json; charset=latin1"}, 415, "unsupported_media_type", "", "", "UTF-8"},
		{"JSON with an unknown parameter", "POST", "/api/v1/payments", `{"order_id":"o1"}`, map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json; version=2"}, 415, "unsupported_media_type", "", "", "application/json"},
		{"an empty currency on backends", "GET", "/api/v1/backends?currency=", "", nil, 422, "bad_request", "currency", "", "empty: give a value, or leave the parameter out"},
		// a malformed pair was dropped, so status=paid;backend=x listed
		// every payment, 200, as if no filter had been given
		{"a ';' in the query", "GET", "/api/v1/payments?status=paid;backend=dummy", "", auth, 422, "bad_request", "status", "", "separate parameters with &"},
		{"a bad escape in the query", "GET", "/api/v1/payments?order_id=o%zz", "", auth, 422, "bad_request", "order_id", "", "malformed"},
		{"a bad escape in a key", "GET", "/api/v1/operations?fl%zzagged=true", "", auth, 422, "bad_request", "fl%zzagged", "", "malformed"},
		{"a ';' on events", "GET", "/api/v1/events?status=dead;", "", auth, 422, "bad_request", "status", "", "separate parameters with &"},
		{"a bad escape on backends", "GET", "/api/v1/backends?currency=%G1", "", nil, 422, "bad_request", "currency", "", "malformed"},
		{"an endpoint twice", "POST", "/api/v1/events/retry_waiting?endpoint=a&endpoint=b", "", auth, 422, "bad_request", "endpoint", "", "more than once"},
		{"wrong method on a payment", "PUT", "/api/v1/payments/" + paid.ID, "{}", auth, 405, "method_not_allowed", "", "GET, HEAD", ""},
		{"wrong method on backends", "POST", "/api/v1/backends", "{}", nil, 405, "method_not_allowed", "", "GET, HEAD", ""},
		{"GET on an action", "GET", "/api/v1/payments/" + paid.ID + "/refund", "", auth, 405, "method_not_allowed", "", "POST", ""},
		{"GET on a callback", "GET", "/callback/dummy", "", nil, 405, "method_not_allowed", "", "POST", ""},
		{"wrong method on operations", "POST", "/api/v1/operations", "{}", auth, 405, "method_not_allowed", "", "GET, HEAD", ""},
		{"wrong method on events", "DELETE", "/api/v1/events/ev_1", "", auth, 405, "method_not_allowed", "", "GET, HEAD", ""},
		{"GET on an events action", "GET", "/api/v1/events/retry_waiting", "", auth, 405, "method_not_allowed", "", "POST", "GET is not allowed on /api/v1/events/retry_waiting (allowed: POST)"},
		{"GET on replay_dead", "GET", "/api/v1/events/replay_dead", "", auth, 405, "method_not_allowed", "", "POST", ""},
		{"no key", "GET", "/api/v1/payments", "", nil, 401, "unauthorized", "", "", ""},
		{"wrong key", "GET", "/api/v1/payments/" + paid.ID, "", map[string]string{"Authorization": "Bearer not-the-key-0123456"}, 401, "unauthorized", "", "", ""},
		{"unknown payment", "GET", "/api/v1/payments/pay_nope", "", auth, 404, "not_found", "", "", ""},
		{"action on an unknown payment", "POST", "/api/v1/payments/pay_nope/poll", "", auth, 404, "not_found", "", "", ""},
		{"refund of an unknown payment", "POST", "/api/v1/payments/pay_nope/refund", `{"amount":"1.00"}`, keyed("k-x"), 404, "not_found", "", "", ""},
		{"unknown action", "POST", "/api/v1/payments/" + paid.ID + "/explode", "", auth, 404, "not_found", "", "", ""},
		{"unknown operation", "GET", "/api/v1/operations/op_nope", "", auth, 404, "not_found", "", "", ""},
		{"unknown event", "GET", "/api/v1/events/ev_nope", "", auth, 404, "not_found", "", "", ""},
		{"malformed JSON", "POST", "/api/v1/payments", "{", auth, 400, "bad_request", "", "", ""},
		{"unknown field", "POST", "/api/v1/payments", `{"order_id":"x","amount_cents":1}`, auth, 400, "bad_request", "", "", ""},
		{"unknown query parameter", "GET", "/api/v1/payments?colour=red", "", auth, 422, "bad_request", "colour", "", ""},
		{"bad limit", "GET", "/api/v1/payments?limit=0", "", auth, 422, "bad_request", "limit", "", ""},
		// flagged=1 listed every operation, flagged or not, as if the
		// filter had been left out.
		{"flagged not true", "GET", "/api/v1/operations?flagged=1", "", auth, 422, "bad_request", "flagged", "", "want true"},
		// flagged=false listed every operation, flagged ones too: read as
		// "not flagged" it would hide nothing it said it hid.
		{"flagged false", "GET", "/api/v1/operations?flagged=false", "", auth, 422, "bad_request", "flagged", "", "leave flagged out"},
		// the payment's own listing took another payment_id and ignored it
		{"payment_id on a payment's operations", "GET", "/api/v1/payments/" + paid.ID + "/operations?payment_id=" + prepared.ID, "", auth, 422, "bad_request", "payment_id", "", "known: state, kind, flagged, limit, cursor"},
		{"flagged in capitals", "GET", "/api/v1/operations?flagged=TRUE", "", auth, 422, "bad_request", "flagged", "", "want true"},
		// kind=bogus listed nothing, 200, as if there were no such operation.
		{"unknown operation kind", "GET", "/api/v1/operations?kind=refunds", "", auth, 422, "bad_request", "kind", "", "capture, release, cancel or refund"},
		{"unknown operation state", "GET", "/api/v1/operations?state=done", "", auth, 422, "bad_request", "state", "", "submitting, pending, succeeded, failed or unknown"},
		{"unknown currency", "GET", "/api/v1/backends?currency=XYZ", "", nil, 422, "unknown_currency", "currency", "", ""},
		{"refund without a key", "POST", "/api/v1/payments/" + paid.ID + "/refund", `{"amount":"1.00"}`, auth, 422, "bad_request", "Idempotency-Key", "", ""},
		{"capture without a key", "POST", "/api/v1/payments/" + paid.ID + "/capture", "", auth, 422, "bad_request", "Idempotency-Key", "", ""},
		{"over-refund", "POST", "/api/v1/payments/" + paid.ID + "/refund", `{"amount":"50.00"}`, keyed("k-2"), 422, "invalid_amount", "amount", "", "at most 9.00 PLN"},
		{"refund with too many decimals", "POST", "/api/v1/payments/" + paid.ID + "/refund", `{"amount":"1.001"}`, keyed("k-3"), 422, "invalid_amount", "amount", "", ""},
		{"refund of zero", "POST", "/api/v1/payments/" + paid.ID + "/refund", `{"amount":"0.00"}`, keyed("k-4"), 422, "invalid_amount", "amount", "", ""},
		{"key reused for another amount", "POST", "/api/v1/payments/" + paid.ID + "/refund", `{"amount":"2.00"}`, keyed("k-1"), 422, "bad_request", "Idempotency-Key", "", "already used"},
		{"nothing left to refund", "POST", "/api/v1/payments/" + refunded.ID + "/refund", "", keyed("k-5"), 409, "forbidden_transition", "", "", "nothing left to refund"},
		{"refund of an unpaid payment", "POST", "/api/v1/payments/" + prepared.ID + "/refund", "", keyed("k-6"), 409, "forbidden_transition", "", "", "nothing was captured"},
		{"capture without a hold", "POST", "/api/v1/payments/" + paid.ID + "/capture", "", keyed("k-7"), 409, "forbidden_transition", "", "", "no funds are held"},
		{"release without a hold", "POST", "/api/v1/payments/" + paid.ID + "/release", "", auth, 409, "forbidden_transition", "", "", ""},
		{"start a prepared payment", "POST", "/api/v1/payments/" + prepared.ID + "/start", "", auth, 409, "forbidden_transition", "", "", ""},
		{"unknown backend", "POST", "/api/v1/payments", `{"order_id":"o","amount":"1.00","currency":"PLN","backend":"nope"}`, auth, 422, "unknown_backend", "backend", "", ""},
		// it said `money "": unknown currency`, as if "" were a code
		{"no currency", "POST", "/api/v1/payments", `{"order_id":"o","amount":"1.00","backend":"dummy"}`, auth, 422, "unknown_currency", "currency", "", "required: the order's currency, an ISO 4217 code such as PLN"},
		{"callback for an unknown backend", "POST", "/callback/nope", "{}", nil, 404, "unknown_backend", "", "", ""},
		{"callback without a signature", "POST", "/callback/dummy", `{"payment_id":"x"}`, nil, 403, "signature_invalid", "", "", ""},
		{"resolve an unknown operation", "POST", "/api/v1/operations/op_nope/resolve", `{"as":"failed","note":"x"}`, auth, 404, "not_found", "", "", ""},
		{"replay an unknown event", "POST", "/api/v1/events/ev_nope/replay", "", auth, 404, "not_found", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := e.doRaw(tt.method, tt.path, tt.body, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q, want application/json: %s", ct, raw)
			}
			var got errorBody
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("not the documented error shape (%v): %s", err, raw)
			}
			// code, message and field are always there (a client may index
			// them), field "" unless a field is wrong.
			var keys struct{ Error map[string]json.RawMessage }
			if err := json.Unmarshal(raw, &keys); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"code", "message", "field"} {
				if _, ok := keys.Error[k]; !ok {
					t.Fatalf("no %q in %s", k, raw)
				}
			}
			if got.Error.Code != tt.code || got.Error.Field != tt.field || got.Error.Message == "" {
				t.Fatalf("error %+v, want code %q field %q and a message", got.Error, tt.code, tt.field)
			}
			if !strings.Contains(got.Error.Message, tt.msgHas) {
				t.Fatalf("message %q does not say %q", got.Error.Message, tt.msgHas)
			}
			for _, internal := range []string{"engine:", "sqlite", "memory:", "httpapi", "%!", "main."} {
				if strings.Contains(strings.ToLower(got.Error.Message), internal) {
					t.Fatalf("message exposes internals (%q): %q", internal, got.Error.Message)
				}
			}
			if tt.status == 405 && resp.Header.Get("Allow") != tt.allow {
				t.Fatalf("Allow %q, want %q", resp.Header.Get("Allow"), tt.allow)
			}
		})
	}
}
