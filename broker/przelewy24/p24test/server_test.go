package p24test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
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
	resp, err := http.DefaultClient.Do(req)
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
