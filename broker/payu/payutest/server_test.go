package payutest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// client is a minimal PayU API client for the simulator's own tests.
type client struct {
	t   *testing.T
	s   *Server
	tok string
}

func newClient(t *testing.T, s *Server) *client {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.cfg.ClientID}, "client_secret": {s.cfg.ClientSecret}}
	resp, err := brokerhttp.Client(nil, 0, 0).PostForm(s.URL()+"/pl/standard/user/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	if v.TokenType != "bearer" || v.ExpiresIn != 43199 || len(v.AccessToken) != 36 {
		t.Fatalf("token response %+v", v)
	}
	return &client{t: t, s: s, tok: v.AccessToken}
}

func (c *client) do(method, path, body string) (int, map[string]any, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.s.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.tok)
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

func statusCode(m map[string]any) string {
	st, _ := m["status"].(map[string]any)
	s, _ := st["statusCode"].(string)
	return s
}

const createBody = `{"notifyUrl":"%s","continueUrl":"https://shop.test/done","customerIp":"127.0.0.1","merchantPosId":"300746",
"description":"d","currencyCode":"PLN","totalAmount":"1000","extOrderId":"%s","products":[{"name":"d","unitPrice":"1000","quantity":"1"}]}`

func create(c *client, notify, ext string) (string, string) {
	body := strings.Replace(strings.Replace(createBody, "%s", notify, 1), "%s", ext, 1)
	code, m, h := c.do("POST", "/api/v2_1/orders", body)
	if code != http.StatusFound || statusCode(m) != "SUCCESS" || h.Get("Location") != m["redirectUri"] {
		c.t.Fatalf("create: %d %v", code, m)
	}
	return m["orderId"].(string), m["redirectUri"].(string)
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := Start(Config{})
	t.Cleanup(s.Close)
	c := newClient(t, s)
	tests := []struct {
		name, body, want string
		code             int
	}{
		{"syntax", `{`, "ERROR_SYNTAX", 400},
		{"missing customerIp", `{"merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"1","products":[{"name":"a","unitPrice":"1","quantity":"1"}]}`, "ERROR_VALUE_MISSING", 400},
		{"decimal amount", `{"customerIp":"1.2.3.4","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"10.00","products":[{"name":"a","unitPrice":"1","quantity":"1"}]}`, "ERROR_VALUE_INVALID", 400},
		{"no products", `{"customerIp":"1.2.3.4","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"100"}`, "ERROR_VALUE_MISSING", 400},
		// customerIp as the OpenAPI documents it: IPv4 dotted, IPv6 as
		// eight groups of four hex digits; 0.0.0.0 is not accepted.
		{"compressed IPv6 customerIp", `{"customerIp":"2001:db8::1","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"100","products":[{"name":"a","unitPrice":"100","quantity":"1"}]}`, "ERROR_VALUE_INVALID", 400},
		{"host name customerIp", `{"customerIp":"localhost","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"100","products":[{"name":"a","unitPrice":"100","quantity":"1"}]}`, "ERROR_VALUE_INVALID", 400},
		{"0.0.0.0 customerIp", `{"customerIp":"0.0.0.0","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"100","products":[{"name":"a","unitPrice":"100","quantity":"1"}]}`, "ERROR_VALUE_INVALID", 400},
		{"expanded IPv6 customerIp", `{"customerIp":"2011:0db8:85a3:0101:0101:8a2e:0370:7334","merchantPosId":"300746","description":"d","currencyCode":"PLN","totalAmount":"100","products":[{"name":"a","unitPrice":"100","quantity":"1"}]}`, "SUCCESS", 302},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &client{t: t, s: s, tok: c.tok}
			code, m, _ := c.do("POST", "/api/v2_1/orders", tc.body)
			if code != tc.code || statusCode(m) != tc.want {
				t.Fatalf("%d %v", code, m)
			}
		})
	}
	bad := &client{t: t, s: s, tok: "nope"}
	if code, _, _ := bad.do("GET", "/api/v2_1/orders/X", ""); code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", code)
	}
}

func TestPaymentPageAndWireNotification(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header
	}))
	defer recv.Close()
	s := Start(Config{SkipPending: true})
	defer s.Close()
	c := newClient(t, s)
	id, redirect := create(c, recv.URL, "ext-1")
	if code, m, _ := c.do("POST", "/api/v2_1/orders", strings.Replace(strings.Replace(createBody, "%s", recv.URL, 1), "%s", "ext-1", 1)); code != 400 || statusCode(m) != "ERROR_ORDER_NOT_UNIQUE" {
		t.Fatalf("duplicate extOrderId: %d %v", code, m)
	}
	resp, err := http.Get(redirect)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"10.00 PLN", `value="paid"`, `value="declined"`, `value="abandoned"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Fatalf("page lacks %q:\n%s", want, page)
		}
	}
	u, _ := url.Parse(redirect)
	form := url.Values{"orderId": {id}, "token": {u.Query().Get("token")}, "outcome": {"declined"}}
	hc := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = hc.PostForm(s.URL()+"/pay/", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.test/done?error=501" {
		t.Fatalf("after choice: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	select {
	case h := <-got:
		if h.Get("OpenPayu-Signature") == "" || h.Get("X-OpenPayU-Signature") == "" {
			t.Fatalf("headers %v", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	if st, _ := s.Order(id); st != "CANCELED" {
		t.Fatalf("status %s", st)
	}
}

func TestTimeoutDoesNotLeak(t *testing.T) {
	s := Start(Config{})
	c := newClient(t, s)
	s.SetFailure(FailureTimeout)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v2_1/orders/X", nil)
	req.Header.Set("Authorization", "Bearer "+c.tok)
	hc := brokerhttp.Client(nil, 0, 0)
	if _, err := hc.Do(req); err == nil {
		t.Fatal("hung request answered")
	}
	s.Close()
	hc.CloseIdleConnections()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines, %d before", n, before)
	}
}

func TestCloseTwiceAndHandlerOnly(t *testing.T) {
	t.Parallel()
	s := Start(Config{})
	s.Close()
	s.Close()
	h := New(Config{Algorithm: "MD5"})
	defer h.Close()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v2_1/orders/X", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("code %d", rec.Code)
	}
}

// payHold creates an order and holds its payment (WAITING_FOR_CONFIRMATION).
func payHold(t *testing.T, s *Server, c *client) string {
	t.Helper()
	id, redirect := create(c, "", "ext-"+randomHex(4))
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: redirect}, OutcomePreAuth); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCaptures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		code       int
		want       string // the order's totalAmount after, "" if not captured
	}{
		{"empty body: the whole hold", "", 200, "1000"},
		{"part", `{"amount":"400","currencyCode":"PLN"}`, 200, "400"},
		{"the whole amount as a part", `{"amount":"1000","currencyCode":"PLN"}`, 400, ""},
		{"more than held", `{"amount":"1001","currencyCode":"PLN"}`, 400, ""},
		{"another currency", `{"amount":"400","currencyCode":"EUR"}`, 400, ""},
		{"amount without currency", `{"amount":"400"}`, 400, ""},
		{"decimal amount", `{"amount":"4.00","currencyCode":"PLN"}`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := Start(Config{})
			t.Cleanup(s.Close)
			c := newClient(t, s)
			id := payHold(t, s, c)
			code, m, _ := c.do("POST", "/api/v2_1/orders/"+id+"/captures", tc.body)
			if code != tc.code {
				t.Fatalf("%d %v", code, m)
			}
			_, got, _ := c.do("GET", "/api/v2_1/orders/"+id, "")
			order := got["orders"].([]any)[0].(map[string]any)
			if tc.want == "" {
				if order["status"] != "WAITING_FOR_CONFIRMATION" {
					t.Fatalf("a refused capture moved the order to %v", order["status"])
				}
				return
			}
			if order["status"] != "COMPLETED" || order["totalAmount"] != tc.want {
				t.Fatalf("order %v %v, want COMPLETED %s", order["status"], order["totalAmount"], tc.want)
			}
			// A second capture of a completed order is refused.
			if code, _, _ := c.do("POST", "/api/v2_1/orders/"+id+"/captures", ""); code != 400 {
				t.Fatalf("second capture %d", code)
			}
		})
	}
}

func TestOperationFaultSwitch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode      string
		code      int
		completed bool
	}{
		{Fault5xx, 500, false},
		{FaultTimeoutBefore, 0, false},
		{FaultTimeoutAfter, 0, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			s := Start(Config{})
			t.Cleanup(s.Close)
			c := newClient(t, s)
			id := payHold(t, s, c)
			s.SetOperationFault(tc.mode)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/api/v2_1/orders/"+id+"/captures", nil)
			req.Header.Set("Authorization", "Bearer "+c.tok)
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			switch {
			case tc.code != 0 && (err != nil || resp.StatusCode != tc.code):
				t.Fatalf("%v %v, want %d", resp, err, tc.code)
			case tc.code == 0 && err == nil:
				t.Fatalf("answered %d, want no answer", resp.StatusCode)
			}
			if resp != nil {
				resp.Body.Close()
			}
			// Retrieving is not affected, and tells what happened.
			st, _ := s.Order(id)
			if (st == "COMPLETED") != tc.completed {
				t.Fatalf("order %s after %s", st, tc.mode)
			}
			_, got, _ := c.do("GET", "/api/v2_1/orders/"+id, "")
			if statusCode(got) != "SUCCESS" {
				t.Fatalf("retrieve %v", got)
			}
		})
	}
}

func TestSignsWithMD5ByDefault(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	defer s.Close()
	body := []byte(`{"order":{"status":"COMPLETED"}}`)
	h := s.SignedHeader(body)
	sum := md5.Sum(append(append([]byte(nil), body...), s.Config().SecondKey...))
	want := "sender=checkout;signature=" + hex.EncodeToString(sum[:]) + ";algorithm=MD5;content=DOCUMENT"
	if got := h.Get("OpenPayu-Signature"); got != want || h.Get("X-OpenPayU-Signature") != want {
		t.Fatalf("header %q, want %q", got, want)
	}
}

// PayU's API also takes HTTP Basic auth with the POS id and its second key
// (brokers.md §1.1: the OpenPayU PHP SDK falls back to it without OAuth
// settings; PayU's own Java/Android SDK tests build
// "Basic MTQ1MjI3OjEzYTk4MGQ0Zjg1MWYzZDlhMWNmYzc5MmZiMWY1ZTUw" from POS 145227
// and its second key). The simulator answered every such call 401, so an
// integration on the SDK's Basic auth never worked against it.
func TestBasicAuthWithPosIDAndSecondKey(t *testing.T) {
	t.Parallel()
	s := Start(Config{})
	t.Cleanup(s.Close)
	for _, tt := range []struct {
		name, user, pass string
		code             int
		want             string
	}{
		{"POS id and second key", s.cfg.PosID, s.cfg.SecondKey, http.StatusFound, "SUCCESS"},
		{"wrong second key", s.cfg.PosID, "0123456789abcdef0123456789abcdef", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"another POS", "145227", s.cfg.SecondKey, http.StatusUnauthorized, "UNAUTHORIZED"},
		{"the OAuth client secret is not the key", s.cfg.ClientID, s.cfg.ClientSecret, http.StatusUnauthorized, "UNAUTHORIZED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Replace(strings.Replace(createBody, "%s", "", 1), "%s", "basic-"+strings.ReplaceAll(tt.name, " ", "-"), 1)
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/v2_1/orders", strings.NewReader(body))
			req.SetBasicAuth(tt.user, tt.pass)
			req.Header.Set("Content-Type", "application/json")
			hc := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != tt.code || statusCode(m) != tt.want {
				t.Fatalf("%d %v", resp.StatusCode, m)
			}
		})
	}
}

// TestRetrieveOneRefund: GET /orders/{id}/refunds/{refundId} answers the
// refund itself (PayU's "Retrieve Specific Refund Data"), found by PayU's
// refundId; an unknown one is 404 DATA_NOT_FOUND.
func TestRetrieveOneRefund(t *testing.T) {
	t.Parallel()
	s := Start(Config{})
	t.Cleanup(s.Close)
	c := newClient(t, s)
	id, redirect := create(c, "", "ext-"+randomHex(4))
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: redirect}, OutcomePaid); err != nil {
		t.Fatal(err)
	}
	code, m, _ := c.do("POST", "/api/v2_1/orders/"+id+"/refunds", `{"refund":{"description":"r","amount":"300","extRefundId":"ext-r1"}}`)
	if code != 200 {
		t.Fatalf("refund: %d %v", code, m)
	}
	refundID := m["refund"].(map[string]any)["refundId"].(string)
	tests := []struct {
		name, path string
		code       int
		want       map[string]any
	}{
		{"by refundId", "/api/v2_1/orders/" + id + "/refunds/" + refundID, 200,
			map[string]any{"refundId": refundID, "extRefundId": "ext-r1", "amount": "300", "currencyCode": "PLN", "status": "PENDING", "description": "r"}},
		{"unknown refund", "/api/v2_1/orders/" + id + "/refunds/999", 404, nil},
		{"unknown order", "/api/v2_1/orders/NOPE/refunds/" + refundID, 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, got, _ := c.do("GET", tc.path, "")
			if code != tc.code {
				t.Fatalf("%d %v, want %d", code, got, tc.code)
			}
			if tc.want == nil {
				if statusCode(got) != "DATA_NOT_FOUND" {
					t.Fatalf("404 body %v", got)
				}
				return
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (%v)", k, got[k], v, got)
				}
			}
		})
	}
}
