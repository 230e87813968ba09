package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Acceptance 2: each hostile input gets its status (and, for a field, the
// field's name), and nothing is stored.
func TestHostileJSONRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	const valid = `"amount":"10.00","currency":"PLN","backend":"dummy"`
	json := "application/json"
	tests := []struct {
		name, body, ctype string
		status            int
		field             string
	}{
		{"NUL in order_id", `{"order_id":"o\u00001",` + valid + `}`, json, 422, "order_id"},
		{"CR LF in order_id", `{"order_id":"o1\r\nX: y",` + valid + `}`, json, 422, "order_id"},
		{"tab in order_id", `{"order_id":"o\t1",` + valid + `}`, json, 422, "order_id"},
		{"escape character in description", `{"order_id":"o1","description":"\u001b[31mred",` + valid + `}`, json, 422, "description"},
		{"LF in description", `{"order_id":"o1","description":"a\nb",` + valid + `}`, json, 422, "description"},
		{"invalid UTF-8 in order_id", "{\"order_id\":\"o\xff1\"," + valid + "}", json, 422, "order_id"},
		{"invalid UTF-8 in description", "{\"order_id\":\"o1\",\"description\":\"caf\xe9\"," + valid + "}", json, 422, "description"},
		{"lone surrogate in description", `{"order_id":"o1","description":"a\ud800b",` + valid + `}`, json, 422, "description"},
		{"low surrogate first in order_id", `{"order_id":"\udc00\ud800",` + valid + `}`, json, 422, "order_id"},
		{"invalid UTF-8 in buyer.email", "{\"order_id\":\"o1\",\"buyer\":{\"email\":\"a\xc0@example.com\"}," + valid + "}", json, 422, "buyer.email"},
		{"CR LF in buyer.email", `{"order_id":"o1","buyer":{"email":"a@example.com\r\nBcc: b@example.com"},` + valid + `}`, json, 422, "buyer.email"},
		{"bad e-mail", `{"order_id":"o1","buyer":{"email":"not-an-address"},` + valid + `}`, json, 422, "buyer.email"},
		{"NUL in buyer.first_name", `{"order_id":"o1","buyer":{"first_name":"Jan\u0000"},` + valid + `}`, json, 422, "buyer.first_name"},
		{"LF in buyer.last_name", `{"order_id":"o1","buyer":{"last_name":"A\nB"},` + valid + `}`, json, 422, "buyer.last_name"},
		{"overlong buyer.last_name", `{"order_id":"o1","buyer":{"last_name":"` + strings.Repeat("ł", 101) + `"},` + valid + `}`, json, 422, "buyer.last_name"},
		{"letters in buyer.phone", `{"order_id":"o1","buyer":{"phone":"abc"},` + valid + `}`, json, 422, "buyer.phone"},
		{"bad buyer.language", `{"order_id":"o1","buyer":{"language":"polski"},` + valid + `}`, json, 422, "buyer.language"},
		{"overlong order_id", `{"order_id":"` + strings.Repeat("ó", 129) + `",` + valid + `}`, json, 422, "order_id"},
		{"duplicate key", `{"order_id":"o1","order_id":"o2",` + valid + `}`, json, 400, ""},
		{"keys differing only in case", `{"order_id":"o1","ORDER_ID":"o2",` + valid + `}`, json, 400, ""},
		{"key matching a field only in another case", `{"Order_Id":"o1",` + valid + `}`, json, 400, ""},
		{"Kelvin sign folding into k", `{"order_id":"o1","bac\u212Aend":"dummy","amount":"10.00","currency":"PLN"}`, json, 400, ""},
		{"duplicate key inside buyer", `{"order_id":"o1","buyer":{"email":"a@example.com","Email":"b@example.com"},` + valid + `}`, json, 400, ""},
		{"nested too deep", `{"order_id":"o1","buyer":` + strings.Repeat(`{"x":`, 40) + `1` + strings.Repeat(`}`, 40) + `,` + valid + `}`, json, 400, ""},
		{"trailing data", `{"order_id":"o1",` + valid + `} {"order_id":"o2"}`, json, 400, ""},
		{"null instead of an object", `null`, json, 400, ""},
		{"a string instead of an object", `"order_id"`, json, 400, ""},
		{"no Content-Type", `{"order_id":"o1",` + valid + `}`, "", 415, ""},
		{"form Content-Type", `{"order_id":"o1",` + valid + `}`, "application/x-www-form-urlencoded", 415, ""},
		{"text/plain", `{"order_id":"o1",` + valid + `}`, "text/plain", 415, ""},
		{"JSON in another charset", `{"order_id":"o1",` + valid + `}`, "application/json; charset=iso-8859-2", 415, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Authorization": "Bearer " + apiKey}
			if tt.ctype != "" {
				hdr["Content-Type"] = tt.ctype
			}
			resp, body := e.post("/api/v1/payments", strings.NewReader(tt.body), int64(len(tt.body)), hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var out struct {
				Error struct{ Code, Message, Field string }
			}
			if err := jsonUnmarshal(body, &out); err != nil || out.Error.Message == "" || out.Error.Field != tt.field {
				t.Fatalf("error %+v (%v), want field %q", out.Error, err, tt.field)
			}
		})
	}
	page, err := e.store.Payments(t.Context(), getpaid.PaymentFilter{})
	if err != nil || len(page.Payments) != 0 {
		t.Fatalf("refused requests stored %d payments (%v)", len(page.Payments), err)
	}
	if n := e.counts.prepares.Load(); n != 0 {
		t.Fatalf("refused requests reached the broker %d times", n)
	}
	// The same body, well-formed, passes with either spelling of the media type.
	for i, ct := range []string{"application/json", "Application/JSON; charset=UTF-8"} {
		body := `{"order_id":"ok-` + string(rune('a'+i)) + `",` + valid + `}`
		resp, out := e.post("/api/v1/payments", strings.NewReader(body), int64(len(body)), map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": ct})
		if resp.StatusCode != 201 {
			t.Fatalf("%q: %d %s", ct, resp.StatusCode, out)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// The action endpoints check their bodies the same way.
func TestActionBodyChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-act", "10.00")
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Idempotency-Key": "k1", "Content-Type": "application/json"}
	for _, tt := range []struct {
		body   string
		ctype  string
		status int
	}{
		{`{"amount":"1.00","amount":"9.00"}`, "application/json", 400},
		{`{"AMOUNT":"1.00"}`, "application/json", 400},
		{`{"amount":"1.00"}`, "text/plain", 415},
	} {
		hdr["Content-Type"] = tt.ctype
		resp, body := e.post("/api/v1/payments/"+p.ID+"/refund", strings.NewReader(tt.body), int64(len(tt.body)), hdr)
		if resp.StatusCode != tt.status {
			t.Fatalf("%s (%s): %d, want %d: %s", tt.body, tt.ctype, resp.StatusCode, tt.status, body)
		}
	}
	if got := e.payment(p.ID); got.Refunded != "0.00" || got.Status != getpaid.StatusPaid {
		t.Fatalf("a refused refund changed the payment: %+v", got)
	}
}

// On the payment form, a field error names the field instead of blaming the
// payment method.
func TestFormFieldErrorsNameTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.orders["o-bad"] = &getpaid.Order{ID: "o-bad", Amount: getpaid.MustParseMoney("5.00", "PLN"), ReturnURL: "https://shop.example/o",
		Buyer: getpaid.Buyer{Email: "not-an-address"}}
	e.orders["o-ok"] = &getpaid.Order{ID: "o-ok", Amount: getpaid.MustParseMoney("5.00", "PLN"), ReturnURL: "https://shop.example/o"}
	for _, tt := range []struct {
		order   string
		backend []string
		status  int
		want    string
	}{
		{"o-bad", []string{"dummy"}, 422, "buyer.email"},
		{"o-ok", []string{"yen"}, 422, "does not accept PLN"},
		{"o-ok", []string{"nope"}, 422, "Please choose one of these payment methods"},
		{"o-ok", []string{""}, 422, "Please choose a payment method."},
		// Two methods at once: neither is taken for the buyer (the first
		// was, silently).
		{"o-ok", []string{"dummy", "yen"}, 422, "Please choose one payment method."},
	} {
		resp, body := e.postForm("/pay/"+tt.order, url.Values{"backend": tt.backend})
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Fatalf("%s via %q: %d, want %d saying %q:\n%s", tt.order, tt.backend, resp.StatusCode, tt.status, tt.want, body)
		}
		// Only a method that exists can be blamed for the currency.
		if tt.backend[0] != "yen" && strings.Contains(string(body), "does not accept") {
			t.Fatalf("%q: the form blames the currency:\n%s", tt.backend, body)
		}
	}
	for _, o := range []string{"o-bad", "o-ok"} {
		if ps := e.byOrder(o); len(ps) != 0 {
			t.Fatalf("%s: stored %d payments", o, len(ps))
		}
	}
}

// A refused body says what is wrong with it (the key, the type wanted),
// not only "invalid request": the client's own input is no secret.
func TestBodyErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-body", "10.00")
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Idempotency-Key": "k1", "Content-Type": "application/json"}
	refund := "/api/v1/payments/" + p.ID + "/refund"
	for _, tt := range []struct{ path, body, want string }{
		{refund, `{"amount":30}`, `key "amount": want a string, not a number`},
		{refund, `{"amount":"1.00","currency":"PLN"}`, `unknown key "currency"`},
		{refund, `{"amount":"1.00","amount":"9.00"}`, `key "amount" is given twice`},
		{refund, `{"AMOUNT":"1.00"}`, `did you mean "amount"`},
		{refund, `["1.00"]`, `want a JSON object, not an array`},
		{refund, `{"amount":"1.00"} {}`, `trailing data`},
		{refund, `{"amount":"1.00"`, `the body ends before its JSON does`},
		{refund, `{"amount" "1.00"}`, `malformed JSON at byte`},
		{"/api/v1/operations/op_nope/resolve", ``, `the body is empty: want a JSON object`},
		{"/api/v1/payments", `{"order_id":"o","amount":"1.00","currency":"PLN","backend":"dummy","buyer":"me"}`, `key "buyer": want an object, not a string`},
		// an unknown key inside buyer is named with its path, as a key in
		// another case or of another type there is: "unknown key "x"" sent
		// the client looking for an "x" at the top
		{"/api/v1/payments", `{"order_id":"o","amount":"1.00","currency":"PLN","backend":"dummy","buyer":{"emial":"a@b.pl"}}`, `unknown key "buyer.emial"`},
		{refund, `{"amount":"1.00","x":1`, `the body ends before its JSON does`},
		// an unknown key (a typo) lists the keys there are, where it is
		{"/api/v1/payments", `{"order_id":"o","amount":"1.00","currency":"PLN","backend":"dummy","descripton":"x"}`,
			`unknown key "descripton" (known: amount, backend, buyer, client_ip, currency, description, order_id, return_url)`},
		{"/api/v1/payments", `{"order_id":"o","amount":"1.00","currency":"PLN","backend":"dummy","buyer":{"emial":"a@b.pl"}}`,
			`unknown key "buyer.emial" (known: email, first_name, language, last_name, phone)`},
		{refund, `{"amount":"1.00","currency":"PLN"}`, `unknown key "currency" (known: amount)`},
	} {
		resp, body := e.post(tt.path, strings.NewReader(tt.body), int64(len(tt.body)), hdr)
		var out struct {
			Error struct{ Code, Message string }
		}
		_ = jsonUnmarshal(body, &out)
		if resp.StatusCode != 400 || out.Error.Code != "bad_request" || !strings.Contains(out.Error.Message, tt.want) {
			t.Errorf("%s %s: %d %+v, want 400 bad_request saying %q", tt.path, tt.body, resp.StatusCode, out.Error, tt.want)
		}
	}
	if got := e.payment(p.ID); got.Refunded != "0.00" || got.Status != getpaid.StatusPaid || len(got.Operations) != 0 {
		t.Fatalf("a refused body changed the payment: %+v", got)
	}
}

// An order in a currency no backend accepts, posted anyway (a stale tab,
// a hand-made request): the form says no method accepts it, not "Please
// choose one of these payment methods" above an empty list.
func TestFormWithNoMethodForTheCurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.orders["o-chf"] = &getpaid.Order{ID: "o-chf", Amount: getpaid.MustParseMoney("5.00", "CHF"), ReturnURL: "https://shop.example/o"}
	resp, body := e.postForm("/pay/o-chf", url.Values{"backend": {"dummy"}})
	if resp.StatusCode != 422 || !strings.Contains(string(body), "No payment method here accepts CHF") {
		t.Fatalf("%d, want 422 saying no method accepts CHF:\n%s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "Please choose") {
		t.Fatalf("the form asks to choose among no methods:\n%s", body)
	}
}
