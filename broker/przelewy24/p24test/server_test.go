package p24test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

func start(t *testing.T) *Server {
	t.Helper()
	s := Start(Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret"})
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, s *Server, method, path, user, pass, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The derived vector of brokers.md §2.8 signs a register of session "test7".
const vectorRegister = `{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"currency":"PLN",` +
	`"description":"d","email":"a@b.c","country":"PL","language":"pl","urlReturn":"https://shop/r",` +
	`"sign":"abc0fe820db1a5f5564e689ab22039eedbe7d5da84bb6c4fd71778b57d583503b7a1ff56922016b21922721391e5f109"}`

func TestAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, user, pass, body string
		wantCode                             int
		wantBody                             string
	}{
		{"test access", "GET", "/api/v1/testAccess", "11111", "secret", "", 200, `"data":true`},
		{"no auth", "GET", "/api/v1/testAccess", "", "", "", 401, "Incorrect authentication"},
		{"wrong key", "GET", "/api/v1/testAccess", "11111", "nope", "", 401, "Incorrect authentication"},
		{"wrong user", "GET", "/api/v1/testAccess", "22222", "secret", "", 401, "Incorrect authentication"},
		{"register with vector sign", "POST", "/api/v1/transaction/register", "11111", "secret", vectorRegister, 200, `"token"`},
		{"register bad sign", "POST", "/api/v1/transaction/register", "11111", "secret",
			strings.Replace(vectorRegister, `"amount":1000`, `"amount":1001`, 1), 400, "Incorrect CRC value"},
		{"register missing email", "POST", "/api/v1/transaction/register", "11111", "secret",
			strings.Replace(vectorRegister, `"email":"a@b.c",`, "", 1), 400, "Invalid input data"},
		{"register amount as string", "POST", "/api/v1/transaction/register", "11111", "secret",
			strings.Replace(vectorRegister, `"amount":1000`, `"amount":"1000"`, 1), 400, "Invalid input data"},
		{"lookup unknown", "GET", "/api/v1/transaction/by/sessionId/nope", "11111", "secret", "", 404, "Transaction not found"},
		{"verify unknown", "PUT", "/api/v1/transaction/verify", "11111", "secret",
			`{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"currency":"PLN","orderId":300000001,` +
				`"sign":"97196006914e3ac79cd2b81863b8dd5e7f9a4c98568f59597fbb78ebf83686d51185a0c3170bc6522b49cc105f5a9f43"}`,
			400, "Transaction not found"},
		{"page unknown token", "GET", "/trnRequest/NOPE", "", "", "", 404, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			code, body := do(t, s, tc.method, tc.path, tc.user, tc.pass, tc.body)
			if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Errorf("%d %s, want %d containing %q", code, body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestPayPageAndVerifyVector(t *testing.T) {
	t.Parallel()
	s := start(t)
	code, body := do(t, s, "POST", "/api/v1/transaction/register", "11111", "secret", vectorRegister)
	if code != 200 {
		t.Fatal(body)
	}
	token := body[strings.Index(body, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	if code, page := do(t, s, "GET", "/trnRequest/"+token, "", "", ""); code != 200 || !strings.Contains(page, `value="paid"`) {
		t.Fatalf("page %d %s", code, page)
	}
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: s.URL() + "/trnRequest/" + token}, "bogus"); err == nil {
		t.Fatal("unknown outcome accepted")
	}
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: s.URL() + "/trnRequest/" + token}, OutcomePaid); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status("test7"); st != StatusAdvance || s.OrderID("test7") != 300000001 {
		t.Fatalf("status %d order %d", st, s.OrderID("test7"))
	}
	// The derived verify vector of brokers.md §2.8 verifies it.
	code, body = do(t, s, "PUT", "/api/v1/transaction/verify", "11111", "secret",
		`{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"currency":"PLN","orderId":300000001,`+
			`"sign":"97196006914e3ac79cd2b81863b8dd5e7f9a4c98568f59597fbb78ebf83686d51185a0c3170bc6522b49cc105f5a9f43"}`)
	if code != 200 || !strings.Contains(body, `"status":"success"`) || !s.Verified("test7") {
		t.Fatalf("verify %d %s", code, body)
	}
	n, err := s.Notification("test7", 0, "")
	if err != nil || !strings.Contains(string(n.Body), `"statement":"p24-300000001"`) {
		t.Fatalf("notification %s %v", n.Body, err)
	}
	if _, err := s.Notification("nope", 0, ""); err == nil {
		t.Error("notification for an unknown session")
	}
}

// register validates to the specification's limits both ways: what it
// forbids is refused, every optional field it lists is accepted. The sign
// covers only sessionId, merchantId, amount and currency, so the vector's
// sign stays valid whatever else changes.
func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	set := func(field, value string) string {
		return strings.Replace(vectorRegister, `"sign":`, `"`+field+`":`+value+`,"sign":`, 1)
	}
	replace := func(old, new string) string { return strings.Replace(vectorRegister, old, new, 1) }
	refused := []struct{ name, body string }{
		{"language outside the list", replace(`"language":"pl"`, `"language":"xx"`)},
		{"upper-case language", replace(`"language":"pl"`, `"language":"PL"`)},
		{"email of 51 characters", replace(`"email":"a@b.c"`, `"email":"`+strings.Repeat("a", 46)+`@b.cc"`)},
		{"urlReturn of 251 characters", replace(`"urlReturn":"https://shop/r"`, `"urlReturn":"https://shop/`+strings.Repeat("r", 238)+`"`)},
		{"urlStatus of 251 characters", set("urlStatus", `"https://shop/`+strings.Repeat("s", 238)+`"`)},
		{"timeLimit 100", set("timeLimit", "100")},
		{"timeLimit -1", set("timeLimit", "-1")},
		{"description of 1025 characters", replace(`"description":"d"`, `"description":"`+strings.Repeat("ą", 1025)+`"`)},
		{"client of 41 characters", set("client", `"`+strings.Repeat("c", 41)+`"`)},
		{"channel bit unknown", set("channel", "512")},
		{"transferLabel of 21 characters", set("transferLabel", `"`+strings.Repeat("t", 21)+`"`)},
		{"unknown encoding", set("encoding", `"latin1"`)},
		{"field not in the specification", set("colour", `"red"`)},
		{"timeLimit as a string", set("timeLimit", `"5"`)},
	}
	accepted := []struct{ name, body string }{
		{"waitForResult", set("waitForResult", "true")},
		{"timeLimit 0 (no limit)", set("timeLimit", "0")},
		{"timeLimit 99", set("timeLimit", "99")},
		{"channel sum", set("channel", "8198")},
		{"method", set("method", "25")},
		{"regulationAccept", set("regulationAccept", "false")},
		{"address, zip, city, phone", set("address", `"ul. Długa 1","zip":"00-001","city":"Warszawa","phone":"481321132123"`)},
		{"shipping and transferLabel", set("shipping", `0,"transferLabel":"Zamówienie 1"`)},
		{"mobile library", set("mobileLib", `1,"sdkVersion":"3.2.1"`)},
		{"encoding", set("encoding", `"UTF-8"`)},
		{"cart and additional", set("cart", `[{"sellerId":"s","sellerCategory":"c","name":"n","description":"d","quantity":1,"price":1000,"number":"1"}],"additional":{"shipping":{"type":0}}`)},
		{"email of 50 characters", replace(`"email":"a@b.c"`, `"email":"`+strings.Repeat("a", 45)+`@b.cc"`)},
		{"urlReturn of 250 characters", replace(`"urlReturn":"https://shop/r"`, `"urlReturn":"https://shop/`+strings.Repeat("r", 237)+`"`)},
		{"description of 1024 characters", replace(`"description":"d"`, `"description":"`+strings.Repeat("ą", 1024)+`"`)},
		// Przelewy24's REST documentation lists urlNotify and cardData; its
		// card and BLIK notifications go to urlCardPaymentNotification, which
		// the official PHP SDK (mnastalski/przelewy24-php) always sends.
		{"urlNotify", set("urlNotify", `"https://shop/n"`)},
		{"urlCardPaymentNotification", set("urlCardPaymentNotification", `"https://shop/c"`)},
		{"cardData", set("cardData", `{"means":{"referenceNumber":{"id":"r"}}}`)},
		{"the PHP SDK's body: every key, unset ones null", set("client", `null,"address":null,"zip":null,"city":null,`+
			`"phone":null,"method":null,"urlStatus":null,"timeLimit":null,"channel":null,"waitForResult":null,`+
			`"regulationAccept":null,"shipping":null,"transferLabel":null,"mobileLib":null,"sdkVersion":null,`+
			`"encoding":"UTF-8","methodRefId":null,"urlCardPaymentNotification":null`)},
	}
	for _, tc := range refused {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			if code, body := do(t, s, "POST", "/api/v1/transaction/register", "11111", "secret", tc.body); code != 400 || !strings.Contains(body, "Invalid input data") {
				t.Errorf("%d %s, want 400 Invalid input data", code, body)
			}
		})
	}
	for _, tc := range accepted {
		t.Run("accepted: "+tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			if code, body := do(t, s, "POST", "/api/v1/transaction/register", "11111", "secret", tc.body); code != 200 || !strings.Contains(body, `"token"`) {
				t.Errorf("%d %s, want 200 with a token", code, body)
			}
		})
	}
}

// registeredAndPaid registers the vector's transaction and has its buyer
// pay it.
func registeredAndPaid(t *testing.T, s *Server) {
	t.Helper()
	code, body := do(t, s, "POST", "/api/v1/transaction/register", "11111", "secret", vectorRegister)
	if code != 200 {
		t.Fatal(body)
	}
	token := body[strings.Index(body, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: s.URL() + "/trnRequest/" + token}, OutcomePaid); err != nil {
		t.Fatal(err)
	}
}

// paidAndVerified registers, pays and verifies the vector's transaction.
func paidAndVerified(t *testing.T, s *Server) {
	t.Helper()
	registeredAndPaid(t, s)
	code, body := do(t, s, "PUT", "/api/v1/transaction/verify", "11111", "secret",
		`{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"currency":"PLN","orderId":300000001,`+
			`"sign":"97196006914e3ac79cd2b81863b8dd5e7f9a4c98568f59597fbb78ebf83686d51185a0c3170bc6522b49cc105f5a9f43"}`)
	if code != 200 {
		t.Fatal(body)
	}
}

const refundBody = `{"requestId":"%s","refundsUuid":"%s","urlStatus":"","refunds":[{"orderId":300000001,"sessionId":"test7","amount":100,"description":"r"}]}`

func refundReq(requestID, uuid string) string {
	return strings.Replace(strings.Replace(refundBody, "%s", requestID, 1), "%s", uuid, 1)
}

// A repeated refund request (the same requestId or refundsUuid) answers 400
// "Request already exists", as the specification's example does, and the
// refund lookup by orderId lists the one refund.
func TestRefundRepeatAndLookup(t *testing.T) {
	t.Parallel()
	s := start(t)
	if code, body := do(t, s, "GET", "/api/v1/refund/by/orderId/300000001", "11111", "secret", ""); code != 404 {
		t.Fatalf("lookup before any refund: %d %s", code, body)
	}
	paidAndVerified(t, s)
	if code, body := do(t, s, "POST", "/api/v1/transaction/refund", "11111", "secret", refundReq("req-1", "uuid-1")); code != 201 {
		t.Fatalf("refund: %d %s", code, body)
	}
	for _, repeat := range []string{refundReq("req-1", "uuid-1"), refundReq("req-1", "uuid-2"), refundReq("req-2", "uuid-1")} {
		if code, body := do(t, s, "POST", "/api/v1/transaction/refund", "11111", "secret", repeat); code != 400 || !strings.Contains(body, "Request already exists") {
			t.Fatalf("repeat: %d %s", code, body)
		}
	}
	code, body := do(t, s, "GET", "/api/v1/refund/by/orderId/300000001", "11111", "secret", "")
	if code != 200 || strings.Count(body, `"requestId"`) != 1 || !strings.Contains(body, `"requestId":"req-1"`) || !strings.Contains(body, `"status":1`) {
		t.Fatalf("lookup: %d %s", code, body)
	}
}

func TestOperationFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode     string
		code     int
		refunded bool
	}{
		{Fault5xx, 500, false},
		{FaultTimeoutBefore, 0, false},
		{FaultTimeoutAfter, 0, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			s := Start(Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret", HangTimeout: 50 * time.Millisecond})
			t.Cleanup(s.Close)
			paidAndVerified(t, s)
			s.SetOperationFault(tc.mode)
			code, _ := do(t, s, "POST", "/api/v1/transaction/refund", "11111", "secret", refundReq("req-f", "uuid-f"))
			if tc.code != 0 && code != tc.code {
				t.Fatalf("answer %d, want %d", code, tc.code)
			}
			if tc.code == 0 && code != http.StatusGatewayTimeout {
				t.Fatalf("a hung refund was answered %d, want 504 once the hang is over", code)
			}
			if got := len(s.Refunds("test7")); got != map[bool]int{true: 1, false: 0}[tc.refunded] {
				t.Fatalf("%d refunds recorded", got)
			}
			// Lookups are not affected.
			if code, _ := do(t, s, "GET", "/api/v1/transaction/by/sessionId/test7", "11111", "secret", ""); code != 200 {
				t.Fatalf("lookup %d", code)
			}
		})
	}
}

// A verify whose answer is lost (FaultTimeoutAfter) verifies the transaction
// at the simulator, as Przelewy24 would, and its notification is no longer
// sent; one that fails before acting (FaultTimeoutBefore, Fault5xx) leaves it
// paid and unverified.
func TestVerifyFaults(t *testing.T) {
	t.Parallel()
	const verify = `{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"currency":"PLN","orderId":300000001,` +
		`"sign":"97196006914e3ac79cd2b81863b8dd5e7f9a4c98568f59597fbb78ebf83686d51185a0c3170bc6522b49cc105f5a9f43"}`
	for _, tc := range []struct {
		mode     string
		code     int
		verified bool
	}{
		{Fault5xx, 500, false},
		{FaultTimeoutBefore, http.StatusGatewayTimeout, false},
		{FaultTimeoutAfter, http.StatusGatewayTimeout, true},
		{FaultNone, 200, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			s := Start(Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret", HangTimeout: 50 * time.Millisecond})
			t.Cleanup(s.Close)
			registeredAndPaid(t, s)
			s.SetVerifyFault(tc.mode)
			if code, body := do(t, s, "PUT", "/api/v1/transaction/verify", "11111", "secret", verify); code != tc.code {
				t.Fatalf("verify answered %d %s, want %d", code, body, tc.code)
			}
			if got := s.Verified("test7"); got != tc.verified {
				t.Fatalf("verified %v, want %v", got, tc.verified)
			}
			// Other calls are not affected.
			if code, _ := do(t, s, "GET", "/api/v1/transaction/by/sessionId/test7", "11111", "secret", ""); code != 200 {
				t.Fatalf("lookup %d", code)
			}
		})
	}
}
