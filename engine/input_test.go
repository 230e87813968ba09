package engine_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// TestHostileInputRefused: every text field of a payment request refuses
// control characters, invalid UTF-8 and overlong values with a field error
// naming the field; nothing is stored and no broker is called.
func TestHostileInputRefused(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("ż", n) } // 2 bytes each: limits count characters
	tests := []struct {
		name   string
		change func(r *getpaid.PayRequest)
		field  string
	}{
		{"order id with NUL", func(r *getpaid.PayRequest) { r.OrderID = "o\x001" }, "order_id"},
		{"order id with CR LF", func(r *getpaid.PayRequest) { r.OrderID = "o1\r\nX-Injected: 1" }, "order_id"},
		{"order id with a tab", func(r *getpaid.PayRequest) { r.OrderID = "o\t1" }, "order_id"},
		{"order id with DEL", func(r *getpaid.PayRequest) { r.OrderID = "o\x7f1" }, "order_id"},
		{"order id with a C1 control", func(r *getpaid.PayRequest) { r.OrderID = "o\u00851" }, "order_id"},
		{"order id with a bidi override", func(r *getpaid.PayRequest) { r.OrderID = "o\u202e1" }, "order_id"},
		{"order id with a zero-width space", func(r *getpaid.PayRequest) { r.OrderID = "o\u200b1" }, "order_id"},
		{"order id not UTF-8", func(r *getpaid.PayRequest) { r.OrderID = "o\xff1" }, "order_id"},
		{"order id of 129 characters", func(r *getpaid.PayRequest) { r.OrderID = long(129) }, "order_id"},
		{"empty order id", func(r *getpaid.PayRequest) { r.OrderID = "" }, "order_id"},
		{"order id of spaces only", func(r *getpaid.PayRequest) { r.OrderID = "   " }, "order_id"},
		{"order id with a leading space", func(r *getpaid.PayRequest) { r.OrderID = " o1" }, "order_id"},
		{"order id with a trailing space", func(r *getpaid.PayRequest) { r.OrderID = "o1 " }, "order_id"},
		{"description with LF", func(r *getpaid.PayRequest) { r.Description = "line\nline" }, "description"},
		{"description with NUL", func(r *getpaid.PayRequest) { r.Description = "a\x00" }, "description"},
		{"description with a line separator", func(r *getpaid.PayRequest) { r.Description = "a\u2028b" }, "description"},
		{"description not UTF-8", func(r *getpaid.PayRequest) { r.Description = "caf\xe9" }, "description"},
		{"description of 1025 characters", func(r *getpaid.PayRequest) { r.Description = long(1025) }, "description"},
		{"return URL with CR LF", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example/\r\nx" }, "return_url"},
		{"return URL with a password", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop:secret@shop.example/o" }, "return_url"},
		{"return URL with a user name", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop@shop.example/o" }, "return_url"},
		{"return URL with a port out of range", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example:99999/o" }, "return_url"},
		{"return URL with a space (an order id put in unescaped)", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example/orders/o 2" }, "return_url"},
		{"return URL with a trailing space", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example/o " }, "return_url"},
		{"return URL without a host (only a port)", func(r *getpaid.PayRequest) { r.ReturnURL = "https://:443/orders/o1" }, "return_url"},
		{"return URL without a host (an empty port)", func(r *getpaid.PayRequest) { r.ReturnURL = "https://:/orders/o1" }, "return_url"},
		{"return URL of 2049 characters", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example/" + strings.Repeat("a", 2028) }, "return_url"},
		{"e-mail with CR LF", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@example.com\r\nBcc: x@evil.example" }, "buyer.email"},
		{"e-mail without domain", func(r *getpaid.PayRequest) { r.Buyer.Email = "buyer@" }, "buyer.email"},
		{"e-mail without @", func(r *getpaid.PayRequest) { r.Buyer.Email = "buyer.example.com" }, "buyer.email"},
		{"e-mail with a display name", func(r *getpaid.PayRequest) { r.Buyer.Email = "Buyer <buyer@example.com>" }, "buyer.email"},
		{"e-mail with two @", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@b@example.com" }, "buyer.email"},
		{"e-mail to a dotless domain", func(r *getpaid.PayRequest) { r.Buyer.Email = "root@localhost" }, "buyer.email"},
		{"e-mail to an address literal", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@[192.0.2.1]" }, "buyer.email"},
		{"e-mail with a space", func(r *getpaid.PayRequest) { r.Buyer.Email = "a b@example.com" }, "buyer.email"},
		{"e-mail with an empty label", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@example..com" }, "buyer.email"},
		{"e-mail with a numeric top-level label", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@192.0.2.1" }, "buyer.email"},
		{"e-mail of 255 characters", func(r *getpaid.PayRequest) { r.Buyer.Email = "a@" + strings.Repeat("b", 249) + ".com" }, "buyer.email"},
		{"first name with NUL", func(r *getpaid.PayRequest) { r.Buyer.FirstName = "Jan\x00" }, "buyer.first_name"},
		{"last name with LF", func(r *getpaid.PayRequest) { r.Buyer.LastName = "Ko\nwalski" }, "buyer.last_name"},
		{"last name not UTF-8", func(r *getpaid.PayRequest) { r.Buyer.LastName = "Ko\xc3" }, "buyer.last_name"},
		{"first name of 101 characters", func(r *getpaid.PayRequest) { r.Buyer.FirstName = long(101) }, "buyer.first_name"},
		{"phone with letters", func(r *getpaid.PayRequest) { r.Buyer.Phone = "call me" }, "buyer.phone"},
		{"phone with a + inside", func(r *getpaid.PayRequest) { r.Buyer.Phone = "48+123456789" }, "buyer.phone"},
		{"phone of 33 characters", func(r *getpaid.PayRequest) { r.Buyer.Phone = strings.Repeat("1", 33) }, "buyer.phone"},
		{"language of three letters", func(r *getpaid.PayRequest) { r.Buyer.Language = "pol" }, "buyer.language"},
		{"language with a digit", func(r *getpaid.PayRequest) { r.Buyer.Language = "p1" }, "buyer.language"},
		{"client IP with a port (a RemoteAddr)", func(r *getpaid.PayRequest) { r.ClientIP = "203.0.113.7:51234" }, "client_ip"},
		{"client IP with a bracketed port", func(r *getpaid.PayRequest) { r.ClientIP = "[2001:db8::1]:443" }, "client_ip"},
		{"client IP a name", func(r *getpaid.PayRequest) { r.ClientIP = "localhost" }, "client_ip"},
		{"client IP with a zone", func(r *getpaid.PayRequest) { r.ClientIP = "fe80::1%eth0" }, "client_ip"},
		{"client IP with CR LF", func(r *getpaid.PayRequest) { r.ClientIP = "203.0.113.7\r\nX: 1" }, "client_ip"},
		{"client IP a list", func(r *getpaid.PayRequest) { r.ClientIP = "203.0.113.7, 10.0.0.1" }, "client_ip"},
		{"idempotency key with LF", func(r *getpaid.PayRequest) { r.IdempotencyKey = "k\n1" }, "Idempotency-Key"},
		{"idempotency key not ASCII", func(r *getpaid.PayRequest) { r.IdempotencyKey = "klucz-ż" }, "Idempotency-Key"},
		{"idempotency key of 256 characters", func(r *getpaid.PayRequest) { r.IdempotencyKey = strings.Repeat("k", 256) }, "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			store := memory.New()
			e := newEngine(t, fb, store)
			req := getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Description: "Order 1", ReturnURL: "https://shop.example/o/1",
				Buyer: getpaid.Buyer{Email: "buyer@example.com", FirstName: "Jan", LastName: "Kowalski", Phone: "+48 123 456 789", Language: "pl"}}
			tt.change(&req)
			for _, call := range []func() (*getpaid.Payment, error){
				func() (*getpaid.Payment, error) { return e.Pay(context.Background(), req) },
				func() (*getpaid.Payment, error) { return e.Create(context.Background(), req) },
			} {
				_, err := call()
				var fe *getpaid.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, getpaid.ErrInvalidRequest) {
					t.Fatalf("err = %v, want a field error on %s", err, tt.field)
				}
			}
			if n := fb.prepares.Load(); n != 0 {
				t.Fatalf("the broker was called %d times", n)
			}
			page, err := store.Payments(context.Background(), getpaid.PaymentFilter{})
			if err != nil || len(page.Payments) != 0 {
				t.Fatalf("stored %d payments (%v)", len(page.Payments), err)
			}
		})
	}
}

// TestValidInputAccepted: what real buyers write passes.
func TestValidInputAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(r *getpaid.PayRequest)
	}{
		{"Polish names and description", func(r *getpaid.PayRequest) {
			r.Buyer.FirstName, r.Buyer.LastName, r.Description = "Żaneta", "Gąsiorowska-Łęcka", "Zamówienie nr 7: źdźbło"
		}},
		{"order id at its limit in multi-byte characters", func(r *getpaid.PayRequest) { r.OrderID = strings.Repeat("ą", engine.MaxOrderID) }},
		{"description at its limit", func(r *getpaid.PayRequest) { r.Description = strings.Repeat("ż", engine.MaxDescription) }},
		{"order id with spaces and punctuation", func(r *getpaid.PayRequest) { r.OrderID = "ORD 2026/12-01#7" }},
		{"e-mail with plus and subdomain", func(r *getpaid.PayRequest) { r.Buyer.Email = "jan.kowalski+shop@mail.example.co.uk" }},
		{"e-mail with an internationalised domain", func(r *getpaid.PayRequest) { r.Buyer.Email = "jan@żółw.example" }},
		{"phone in several styles", func(r *getpaid.PayRequest) { r.Buyer.Phone = "(22) 123-45.67/8" }},
		{"upper-case language", func(r *getpaid.PayRequest) { r.Buyer.Language = "PL" }},
		{"no buyer at all", func(r *getpaid.PayRequest) { r.Buyer = getpaid.Buyer{} }},
		{"a replacement character written as such", func(r *getpaid.PayRequest) { r.Description = "broken \uFFFD glyph" }},
		{"IPv4 client", func(r *getpaid.PayRequest) { r.ClientIP = "203.0.113.7" }},
		{"IPv6 client", func(r *getpaid.PayRequest) { r.ClientIP = "2001:db8::1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, &fakeBroker{}, memory.New())
			req := getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Buyer: getpaid.Buyer{Email: "buyer@example.com", Language: "pl"}}
			tt.change(&req)
			if _, err := e.Pay(context.Background(), req); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// TestStartRefusesAClientIPWithAPort: Start (library mode) checks the
// buyer's address as Pay does: a RemoteAddr with its port is refused
// naming client_ip, before the broker is asked; the payment stays new.
func TestStartRefusesAClientIPWithAPort(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, fb, memory.New())
	p, err := e.Create(context.Background(), getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Start(context.Background(), p.ID, "203.0.113.7:51234")
	var fe *getpaid.FieldError
	if !errors.As(err, &fe) || fe.Field != "client_ip" || !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("Start with a RemoteAddr: %v, want a field error on client_ip", err)
	}
	if n := fb.prepares.Load(); n != 0 {
		t.Fatalf("the broker was called %d times", n)
	}
	if q, err := e.Payment(context.Background(), p.ID); err != nil || q.Status != getpaid.StatusNew {
		t.Fatalf("payment after the refused start: %v %v, want new", q, err)
	}
	if _, err := e.Start(context.Background(), p.ID, "203.0.113.7"); err != nil {
		t.Fatalf("Start with the address: %v", err)
	}
}

// TestAmountsRefused: a library payment request (an Order's amount) is held
// to what the JSON API's decimal amounts are: more than nothing, a known
// upper-case currency the backend takes, and at most getpaid.MaxMinor,
// the largest amount every parser of a broker's answer reads back (an
// amount above it would be registered at the broker, and its notification
// refused as malformed). Nothing is stored and no broker is called.
func TestAmountsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		amount getpaid.Money
		field  string
		want   error
	}{
		{"nothing", getpaid.Money{Currency: "PLN"}, "amount", getpaid.ErrInvalidAmount},
		{"negative", getpaid.Money{Minor: -1000, Currency: "PLN"}, "amount", getpaid.ErrInvalidAmount},
		{"above the largest amount", getpaid.Money{Minor: getpaid.MaxMinor + 1, Currency: "PLN"}, "amount", getpaid.ErrInvalidAmount},
		{"the largest int64", getpaid.Money{Minor: math.MaxInt64, Currency: "PLN"}, "amount", getpaid.ErrInvalidAmount},
		{"lower-case currency", getpaid.Money{Minor: 1000, Currency: "pln"}, "currency", getpaid.ErrUnknownCurrency},
		{"no currency", getpaid.Money{Minor: 1000}, "currency", getpaid.ErrUnknownCurrency},
		{"a currency the backend does not take", getpaid.MustParseMoney("100", "JPY"), "currency", getpaid.ErrCurrencyNotAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			store := memory.New()
			e := newEngine(t, fb, store)
			req := getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: tt.amount, Buyer: getpaid.Buyer{Email: "buyer@example.com"}}
			for _, call := range []func() (*getpaid.Payment, error){
				func() (*getpaid.Payment, error) { return e.Pay(context.Background(), req) },
				func() (*getpaid.Payment, error) { return e.Create(context.Background(), req) },
			} {
				_, err := call()
				var fe *getpaid.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want a field error on %s wrapping %v", err, tt.field, tt.want)
				}
			}
			if n := fb.prepares.Load(); n != 0 {
				t.Fatalf("the broker was called %d times", n)
			}
			page, err := store.Payments(context.Background(), getpaid.PaymentFilter{})
			if err != nil || len(page.Payments) != 0 {
				t.Fatalf("stored %d payments (%v)", len(page.Payments), err)
			}
		})
	}
	// The largest amount itself is taken.
	e := newEngine(t, &fakeBroker{}, memory.New())
	if _, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: "o1", Backend: "fake",
		Amount: getpaid.Money{Minor: getpaid.MaxMinor, Currency: "PLN"}}); err != nil {
		t.Fatalf("the largest amount: %v", err)
	}
}
