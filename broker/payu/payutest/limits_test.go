package payutest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCreateFieldLimits holds the simulator to the maxLength PayU's OpenAPI
// (OrderCreateRequest, buyer, products) gives each text field, counted in
// characters: a value at the limit is taken, one character more is refused
// as PayU refuses it, so a backend cutting a field wrongly fails here.
func TestCreateFieldLimits(t *testing.T) {
	t.Parallel()
	s := Start(Config{})
	t.Cleanup(s.Close)
	c := newClient(t, s)
	url := func(n int) string { return "https://shop.test/" + strings.Repeat("ą", n-len("https://shop.test/")) }
	email := func(n int) string { return strings.Repeat("ż", n-len("@example.com")) + "@example.com" }
	tests := []struct {
		field string
		max   int
		set   func(m map[string]any, v string)
		value func(n int) string
	}{
		{"description", 4000, func(m map[string]any, v string) { m["description"] = v }, nil},
		{"notifyUrl", 1024, func(m map[string]any, v string) { m["notifyUrl"] = v }, url},
		{"continueUrl", 1024, func(m map[string]any, v string) { m["continueUrl"] = v }, url},
		{"extOrderId", 1024, func(m map[string]any, v string) { m["extOrderId"] = v }, nil},
		{"products.name", 255, func(m map[string]any, v string) {
			m["products"] = []map[string]string{{"name": v, "unitPrice": "1000", "quantity": "1"}}
		}, nil},
		{"buyer.email", 255, func(m map[string]any, v string) { m["buyer"] = map[string]string{"email": v} }, email},
		{"buyer.phone", 255, func(m map[string]any, v string) { m["buyer"] = map[string]string{"phone": v} }, nil},
		{"buyer.firstName", 100, func(m map[string]any, v string) { m["buyer"] = map[string]string{"firstName": v} }, nil},
		{"buyer.lastName", 100, func(m map[string]any, v string) { m["buyer"] = map[string]string{"lastName": v} }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			c := &client{t: t, s: s, tok: c.tok}
			value := tc.value
			if value == nil {
				value = func(n int) string { return strings.Repeat("ą", n) } // two bytes each: characters count, not bytes
			}
			for n, ok := range map[int]bool{tc.max: true, tc.max + 1: false} {
				m := map[string]any{
					"customerIp": "127.0.0.1", "merchantPosId": "300746", "description": "d", "currencyCode": "PLN",
					"totalAmount": "1000", "products": []map[string]string{{"name": "d", "unitPrice": "1000", "quantity": "1"}},
				}
				tc.set(m, value(n))
				body, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				code, got, _ := c.do("POST", "/api/v2_1/orders", string(body))
				switch {
				case ok && (code != http.StatusFound || statusCode(got) != "SUCCESS"):
					t.Fatalf("%d characters (the limit): %d %v", n, code, got)
				case !ok && (code != http.StatusBadRequest || statusCode(got) != "ERROR_VALUE_INVALID"):
					t.Fatalf("%d characters (over the limit of %d): %d %v, want 400 ERROR_VALUE_INVALID", n, tc.max, code, statusCode(got))
				}
			}
		})
	}
}
