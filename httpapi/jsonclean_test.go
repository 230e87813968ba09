package httpapi

import (
	"reflect"
	"testing"
)

// TestCleanJSON checks checkJSON's fast path: the bodies clients send take
// it, and each thing checkJSON refuses, or may refuse, leaves it to
// checkJSON.
func TestCleanJSON(t *testing.T) {
	t.Parallel()
	create := reflect.TypeOf(&CreateRequest{})
	for _, c := range []struct {
		body  string
		clean bool
	}{
		{`{"order_id":"o-1","amount":"12.34","currency":"PLN","backend":"dummy"}`, true},
		{` { "order_id" : "o-1" , "buyer" : { "email" : "jan@example.com", "first_name": "Zażółć" } } `, true},
		{`{"description":"tab\there \"quoted\" \\ \/ \b\f\n\r"}`, true},
		{`{}`, true},
		{`{"order_id":"o"} trailing`, true},                                // the first value only: decodeStrict refuses the rest
		{`{"order_id":"a","order_id":"b"}`, false},                         // twice
		{`{"order_id":"a","ORDER_ID":"b"}`, false},                         // twice, in another case
		{`{"Order_ID":"a"}`, false},                                        // a field's name in another case
		{`{"unknown":1}`, false},                                           // not a field: the decoder says so
		{`{"buyer":{"email":"a","EMAIL":"b"}}`, false},                     // nested
		{`{"return_url":"https://shop.example/?a=1\u0026b=\u00e9"}`, true}, // as Go's encoder writes &
		{`{"order_id":"a\ud83d\ude00"}`, false},                            // a surrogate pair: checkJSON checks them
		{`{"order_id":"a\ud800"}`, false},                                  // a lone surrogate
		{`{"order_id":"a\u12"}`, false},                                    // a short escape
		{`{"order_\u0069d":"a"}`, false},                                   // an escaped key
		{"{\"order_id\":\"\xff\"}", false},                                 // invalid UTF-8
		{"{\"order_id\":\"a\x01\"}", false},                                // a control character
		{"{\"ordér\":\"a\"}", false},                                       // a key that is not ASCII
		{`{"order_id":"a"`, false},                                         // unclosed
		{`{"order_id" "a"}`, false},                                        // no colon
		{`{"order_id":"a",}`, false},                                       // trailing comma
		{`{"amount":01}`, false},                                           // not a JSON number
		{`{"amount":-}`, false},                                            // not a JSON number
		{`{"amount":1.}`, false},                                           // not a JSON number
		{`{"amount":tru}`, false},                                          // not a literal
		{``, false},                                                        // empty
		{`[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]`, false},                    // deeper than maxDepth
	} {
		if got := cleanJSON([]byte(c.body), create); got != c.clean {
			t.Errorf("cleanJSON(%q) = %v, want %v", c.body, got, c.clean)
		}
	}
	// Without a struct: any ASCII keys, distinct.
	for body, clean := range map[string]bool{`{"a":1,"b":[true,false,null,-1.5e+3]}`: true, `{"a":1,"A":2}`: false} {
		if got := cleanJSON([]byte(body), nil); got != clean {
			t.Errorf("cleanJSON(%q, no type) = %v, want %v", body, got, clean)
		}
	}
}

// FuzzCleanJSON: the fast path never lets through what checkJSON refuses.
func FuzzCleanJSON(f *testing.F) {
	for _, s := range []string{`{"order_id":"o1","amount":"1.00"}`, `{"order_id":"a","ORDER_ID":"b"}`,
		`{"buyer":{"email":"a@b.c","Email":"x"}}`, `{"description":"\ufffd \\ud800"}`, `{"a":[1,2,{"b":"c"}]}`,
		`{"metadata":{"k":"v","K":"w"}}`, "{\"order_id\":\"\xff\"}", `[{"a":1},{"A":2}]`} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	types := []reflect.Type{reflect.TypeOf(&CreateRequest{}), nil, reflect.TypeOf(map[string]any{})}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		typ := types[int(which)%len(types)]
		if cleanJSON(body, typ) {
			if err := checkJSON(body, typ); err != nil {
				t.Fatalf("cleanJSON(%q, %v) passed what checkJSON refuses: %v", body, typ, err)
			}
		}
	})
}

// BenchmarkDecodeStrict decodes a create request as the API does ("clean":
// the fast path takes it), and with checkJSON's walk before it ("checked":
// the cost before the fast path, plus the fast scan):
//
//	go test -run '^$' -bench DecodeStrict ./httpapi/
func BenchmarkDecodeStrict(b *testing.B) {
	body := []byte(`{"order_id":"lg-1234-5678","amount":"10.00","currency":"PLN","backend":"dummy",` +
		`"description":"Order 5678","buyer":{"email":"jan@example.com","first_name":"Jan","last_name":"Kowalski"},` +
		`"return_url":"https://shop.example/orders/5678"}`)
	b.Run("clean", func(b *testing.B) {
		for b.Loop() {
			var req CreateRequest
			if err := decodeStrict(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checked", func(b *testing.B) {
		for b.Loop() {
			var req CreateRequest
			if err := checkJSON(body, reflect.TypeOf(&req)); err != nil {
				b.Fatal(err)
			}
			if err := decodeStrict(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
