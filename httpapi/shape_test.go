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
