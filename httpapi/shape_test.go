package httpapi_test

import (
	"encoding/json"
	"testing"
)

// A payment's own page and the answers of its actions always carry the
// arrays the README names, empty when there is nothing in them, so that a
// client reading p["operations"] or p["history"] never finds the key
// missing; a listing's payments carry neither (they are not read for it).
func TestPaymentArraysAlwaysPresent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.create("o-shape", "10.00", "PLN", "dummy")
	for _, tc := range []struct {
		name, method, path string
		present, absent    []string
	}{
		{"own page, no operations", "GET", "/api/v1/payments/" + p.ID, []string{"history", "operations"}, []string{"operation"}},
		{"poll, no operations", "POST", "/api/v1/payments/" + p.ID + "/poll", []string{"operations"}, []string{"operation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := e.do(tc.method, tc.path, nil, auth)
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, body)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.present {
				if v, ok := raw[k]; !ok || v[0] != '[' {
					t.Errorf("%s %s: %q missing or not an array: %s", tc.method, tc.path, k, body)
				}
			}
			for _, k := range tc.absent {
				if _, ok := raw[k]; ok {
					t.Errorf("%s %s: unexpected %q: %s", tc.method, tc.path, k, body)
				}
			}
		})
	}
	resp, body := e.do("GET", "/api/v1/payments?order_id=o-shape", nil, auth)
	var list struct{ Payments []map[string]json.RawMessage }
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Payments) != 1 {
		t.Fatalf("list: %d %s (%v)", resp.StatusCode, body, err)
	}
	for _, k := range []string{"history", "operations", "operation"} {
		if _, ok := list.Payments[0][k]; ok {
			t.Errorf("a listed payment has %q: %s", k, body)
		}
	}
}

// Every operation the API shows carries "flagged" (true or false), as it
// carries "error" when there is none: the README lists it among an
// operation's fields, and a client filtering on op["flagged"] must not find
// the key missing on an operation that is not flagged.
func TestOperationFlaggedAlwaysPresent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-flag", "10.00")
	code, a, loc := e.action(p.ID, "refund", "1.00", keyed("k-flag"))
	if code != 200 || a.Operation == nil {
		t.Fatalf("refund: %d %+v", code, a.Error)
	}
	for _, tc := range []struct {
		name, path string
		ops        func(body []byte) ([]map[string]json.RawMessage, error)
	}{
		{"the operation", loc, func(b []byte) ([]map[string]json.RawMessage, error) {
			var op map[string]json.RawMessage
			return []map[string]json.RawMessage{op}, json.Unmarshal(b, &op)
		}},
		{"the listing", "/api/v1/operations?payment_id=" + p.ID, func(b []byte) ([]map[string]json.RawMessage, error) {
			var l struct{ Operations []map[string]json.RawMessage }
			return l.Operations, json.Unmarshal(b, &l)
		}},
		{"the payment's operations", "/api/v1/payments/" + p.ID + "/operations", func(b []byte) ([]map[string]json.RawMessage, error) {
			var l struct{ Operations []map[string]json.RawMessage }
			return l.Operations, json.Unmarshal(b, &l)
		}},
		{"the payment's page", "/api/v1/payments/" + p.ID, func(b []byte) ([]map[string]json.RawMessage, error) {
			var v struct{ Operations []map[string]json.RawMessage }
			return v.Operations, json.Unmarshal(b, &v)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := e.do("GET", tc.path, nil, auth)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", tc.path, resp.StatusCode, body)
			}
			ops, err := tc.ops(body)
			if err != nil || len(ops) != 1 {
				t.Fatalf("GET %s: %d operations (%v): %s", tc.path, len(ops), err, body)
			}
			if f, ok := ops[0]["flagged"]; !ok || string(f) != "false" {
				t.Errorf("GET %s: flagged %s (present %v), want false: %s", tc.path, f, ok, body)
			}
		})
	}
}
