package payu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestCustomerIPAsPayUDocumentsIt: PayU's OpenAPI (OrderCreateRequest
// customerIp) accepts IPv4 in dotted decimal and IPv6 "as eight groups of
// four hexadecimal digits" (its example 2011:0db8:85a3:0101:0101:8a2e:0370:7334).
// A buyer's IPv6 address in the usual compressed form, or an IPv4 address
// mapped into IPv6 (what a dual-stack listener reports), is sent in that
// form.
func TestCustomerIPAsPayUDocumentsIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2011:0db8:85a3:0101:0101:8a2e:0370:7334", "2011:0db8:85a3:0101:0101:8a2e:0370:7334"},
		{"", "127.0.0.1"},
		// "0.0.0.0 is not accepted" (the OpenAPI's order retrieve): an
		// unspecified address says no more than a missing one.
		{"0.0.0.0", "127.0.0.1"},
		{"::", "127.0.0.1"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			f := &specPayU{t: t, created: http.StatusFound, status: "PENDING"}
			e := specEngine(t, f)
			if _, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-1", Backend: "payu_pln",
				Amount: getpaid.MustParseMoney("1.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@example.com"}, ClientIP: tc.in}); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			got := f.order["customerIp"]
			f.mu.Unlock()
			if got != tc.want {
				t.Fatalf("customerIp %q sent as %#v, want %q", tc.in, got, tc.want)
			}
		})
	}
}
