package dotpaytest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// The derived vectors of brokers.md §4.6, checked with the simulator's own
// signer.
func TestVectors(t *testing.T) {
	t.Parallel()
	params := map[string]string{
		"id": "123456", "amount": "123.00", "currency": "PLN", "description": "Test", "lang": "pl",
		"control": "ORDER-1", "url": "https://example.com/return", "urlc": "https://example.com/urlc", "type": "4",
		"api_version": "next",
	}
	if got := chkNext("pin123abc", params); got != "566feabc79d0f72d4c1aec3772bf846edb7fa5fb1c669975002dee931004d124" {
		t.Errorf("chk next %s", got)
	}
	params["api_version"] = "dev"
	if got := chkDev("pin123abc", params); got != "4378af16b517ac3ab95aa25b1cbda3ab270152dd23e0c0435dad4cbb4b62db4f" {
		t.Errorf("chk dev %s", got)
	}
	urlc := map[string]string{
		"id": "123", "operation_number": "MI-5", "operation_type": "payment", "operation_status": "completed",
		"operation_amount": "212.35", "operation_currency": "PLN", "operation_original_amount": "58.07",
		"operation_original_currency": "USD", "operation_datetime": "2018-02-28 12:00:00", "control": "1",
		"description": "Order #1", "email": "user@example.org", "p_info": "John Doe (seller@example.com)",
		"p_email": "seller@example.com", "channel": "1",
	}
	if got := urlcSignature("123", urlc); got != "2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221" {
		t.Errorf("URLC signature %s", got)
	}
	if got := string(phpJSONString("Zażółć / 😀 \"q\"")); got != `"Za\u017c\u00f3\u0142\u0107 / \ud83d\ude00 \"q\""` {
		t.Errorf("PHP JSON %s", got)
	}
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 2 * time.Millisecond
	}
	s := Start(cfg)
	t.Cleanup(s.Close)
	return s
}

// vectorForm is the chk vector's form, accepted by a shop 123456 with PIN
// pin123abc.
func vectorForm(api string) url.Values {
	v := url.Values{"id": {"123456"}, "amount": {"123.00"}, "currency": {"PLN"}, "description": {"Test"},
		"lang": {"pl"}, "control": {"ORDER-1"}, "url": {"https://example.com/return"},
		"urlc": {"https://example.com/urlc"}, "type": {"4"}, "api_version": {api}}
	if api == "next" {
		v.Set("chk", "566feabc79d0f72d4c1aec3772bf846edb7fa5fb1c669975002dee931004d124")
	} else {
		v.Set("chk", "4378af16b517ac3ab95aa25b1cbda3ab270152dd23e0c0435dad4cbb4b62db4f")
	}
	return v
}

func TestPaymentForm(t *testing.T) {
	t.Parallel()
	s := start(t, Config{ShopID: "123456", PIN: "pin123abc"})
	change := func(v url.Values, k, val string) url.Values {
		c := url.Values{}
		for key, vals := range v {
			c[key] = vals
		}
		if val == "" {
			c.Del(k)
		} else {
			c.Set(k, val)
		}
		return c
	}
	tests := []struct {
		name     string
		method   string
		form     url.Values
		wantCode int
		wantBody string
	}{
		{"next by GET", "GET", vectorForm("next"), http.StatusSeeOther, ""},
		{"next by POST", "POST", vectorForm("next"), http.StatusSeeOther, ""},
		{"dev by GET", "GET", vectorForm("dev"), http.StatusSeeOther, ""},
		{"amount changed", "GET", change(vectorForm("next"), "amount", "1.00"), 400, ErrHashNotEqualChk},
		{"parameter added", "POST", change(vectorForm("next"), "email", "x@example.com"), 400, ErrHashNotEqualChk},
		{"chk missing", "GET", change(vectorForm("dev"), "chk", ""), 400, ErrHashNotEqualChk},
		{"wrong variant", "GET", change(vectorForm("next"), "api_version", "dev"), 400, ErrHashNotEqualChk},
		{"no amount", "GET", change(vectorForm("next"), "amount", ""), 400, ErrRequiredParameters},
		{"another shop", "GET", change(vectorForm("next"), "id", "654321"), 400, ErrInactiveSeller},
		{"amount with a comma", "GET", change(vectorForm("next"), "amount", "1,00"), 400, ErrBadDataFormat},
		{"zero amount", "GET", change(vectorForm("next"), "amount", "0.00"), 400, ErrAmountTooLow},
		{"huge amount", "GET", change(vectorForm("next"), "amount", "999999999999.00"), 400, ErrAmountTooHigh},
		// 13 digits before the dot: the most getpaid's backend writes (15
		// digits of hundredths) is too high, not malformed.
		{"13-digit amount", "GET", change(vectorForm("next"), "amount", "9999999999999.99"), 400, ErrAmountTooHigh},
		{"20-digit amount", "GET", change(vectorForm("next"), "amount", "99999999999999999999.00"), 400, ErrAmountTooHigh},
		{"unknown currency", "GET", change(vectorForm("next"), "currency", "KWD"), 400, ErrUnknownCurrency},
		{"JPY with a fraction", "GET", change(vectorForm("next"), "currency", "JPY"), 400, ErrHashNotEqualChk},
		{"bad name", "GET", change(vectorForm("next"), "firstname", "<script>"), 400, ErrBadDataFormat},
		{"unknown api version", "GET", change(vectorForm("next"), "api_version", "v3"), 400, ErrBadDataFormat},
	}
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req *http.Request
			if tc.method == "GET" {
				req, _ = http.NewRequest(http.MethodGet, s.URL()+"/t2/?"+tc.form.Encode(), nil)
			} else {
				req, _ = http.NewRequest(http.MethodPost, s.URL()+"/test_payment/", strings.NewReader(tc.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
			if tc.wantCode == http.StatusSeeOther && !strings.Contains(resp.Header.Get("Location"), "/session/") {
				t.Fatalf("Location %q", resp.Header.Get("Location"))
			}
		})
	}
}

// receiver is a urlc endpoint answering scripted responses, then "OK".
type receiver struct {
	mu     sync.Mutex
	bodies []url.Values
	script []string // "code body"
	srv    *httptest.Server
}

func newReceiver(t *testing.T, script ...string) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		r.mu.Lock()
		r.bodies = append(r.bodies, req.PostForm)
		answer := "200 OK"
		if len(r.script) > 0 {
			answer, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		code, body, _ := strings.Cut(answer, " ")
		w.WriteHeader(map[string]int{"200": 200, "500": 500}[code])
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// pay opens a signed form to the receiver and chooses outcome.
func pay(t *testing.T, s *Server, urlc, control, outcome string) {
	t.Helper()
	p := map[string]string{"id": s.cfg.ShopID, "amount": "10.00", "currency": "PLN", "description": "d",
		"control": control, "urlc": urlc, "url": "http://127.0.0.1:1/back", "api_version": "next"}
	p["chk"] = chkNext(s.cfg.PIN, p)
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "POST", URL: s.URL() + "/t2/", Fields: p}, outcome); err != nil {
		t.Fatal(err)
	}
}

// A URLC is sent again until the answer is 200 with "OK" exactly.
func TestURLCRetriedUntilOK(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	r := newReceiver(t, "500 OK", "200 ok", "200 OK\n", "200 ", "200 OK")
	pay(t, s, r.srv.URL, "pay_1", OutcomePaid)
	if err := s.Quiet(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := s.Notifications()
	if len(log) != 5 || log[4].Body != "OK" || log[4].Code != 200 || log[0].Attempt != 1 || log[4].Attempt != 5 {
		t.Fatalf("%+v", log)
	}
	f := r.bodies[0]
	fields := map[string]string{}
	for k := range f {
		fields[k] = f.Get(k)
	}
	if fields["operation_status"] != "completed" || fields["control"] != "pay_1" || fields["operation_original_amount"] != "10.00" ||
		fields["signature"] != urlcSignature(s.cfg.PIN, fields) {
		t.Fatalf("URLC %v", fields)
	}
}

// MaxAttempts bounds the retries; Quiet then returns.
func TestURLCGivenUp(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxAttempts: 3})
	r := newReceiver(t, "500 x", "500 x", "500 x", "500 x")
	pay(t, s, r.srv.URL, "pay_1", OutcomeDeclined)
	if err := s.Quiet(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Notifications()); n != 3 {
		t.Fatalf("%d attempts", n)
	}
}

func apiGet(t *testing.T, s *Server, path, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestSellerAPI(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	r := newReceiver(t)
	pay(t, s, r.srv.URL, "pay_1", OutcomeDeclined)
	pay(t, s, r.srv.URL, "pay_1", OutcomePaid)
	pay(t, s, r.srv.URL, "pay_2", OutcomePaid)
	u, p := s.cfg.APIUsername, s.cfg.APIPassword
	if code, body := apiGet(t, s, "/s2/login/api/v1/operations/", u, "wrong"); code != 401 || body["detail"] != "Invalid username/password" {
		t.Fatalf("%d %v", code, body)
	}
	code, body := apiGet(t, s, "/s2/login/api/v1/operations/?control=pay_1&page_size=1", u, p)
	results, _ := body["results"].([]any)
	if code != 200 || body["count"] != float64(2) || len(results) != 1 || body["next"] == nil {
		t.Fatalf("%d %v", code, body)
	}
	first := results[0].(map[string]any)
	if first["status"] != "completed" || first["control"] != "pay_1" || first["original_amount"] != "10.00" {
		t.Fatalf("newest first: %v", first)
	}
	next, _ := url.Parse(body["next"].(string))
	code, body = apiGet(t, s, next.RequestURI(), u, p)
	if results, _ := body["results"].([]any); code != 200 || len(results) != 1 || results[0].(map[string]any)["status"] != "rejected" || body["next"] != nil {
		t.Fatalf("page 2: %d %v", code, body)
	}
	if code, _ := apiGet(t, s, "/test_seller/api/v1/operations/?page=9", u, p); code != 404 {
		t.Fatalf("page past the end: %d", code)
	}
	number := first["number"].(string)
	if code, body := apiGet(t, s, "/test_seller/api/v1/operations/"+number+"/", u, p); code != 200 || body["number"] != number {
		t.Fatalf("%d %v", code, body)
	}
	refund := func(number, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/s2/login/api/v1/payments/"+number+"/refund/", strings.NewReader(body))
		req.SetBasicAuth(u, p)
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		number, body string
		code         int
		want         string
	}{
		{number, `{"amount":"4.00","description":"r","control":"pay_1"}`, 200, `"detail":"ok"`},
		{number, `{"amount":"6.01","description":"r","control":"pay_1"}`, 400, "INVALID_AMOUNT"},
		{number, `{"amount":"-1","description":"r","control":"pay_1"}`, 400, "amount"},
		{number, `{"amount":"1.00","unknown":1}`, 400, "JSON parse error"},
		{"M9999-9999", `{"amount":"1.00"}`, 404, "Not found"},
		{s.Operations("pay_1")[0].Number, `{"amount":"1.00"}`, 400, "PAYMENT_NOT_COMPLETED"},
	} {
		if code, body := refund(tc.number, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("refund %s %s: %d %s", tc.number, tc.body, code, body)
		}
	}
	_ = s.Quiet(context.Background())
	ops := s.Operations("pay_1")
	if len(ops) != 3 || ops[2].Type != "refund" || ops[2].Related != number || ops[2].Amount != getpaid.MustParseMoney("4.00", "PLN") {
		t.Fatalf("%+v", ops)
	}
	var last url.Values
	r.mu.Lock()
	for _, b := range r.bodies {
		if b.Get("operation_type") == "refund" {
			last = b
		}
	}
	r.mu.Unlock()
	if last == nil || last.Get("operation_related_number") != number || last.Get("operation_original_amount") != "4.00" {
		t.Fatalf("refund URLC %v", last)
	}
}

func TestFailureModes(t *testing.T) {
	t.Parallel()
	s := start(t, Config{HangTimeout: 50 * time.Millisecond})
	s.SetFailure(Failure5xx)
	if code, _ := apiGet(t, s, "/s2/login/api/v1/operations/", s.cfg.APIUsername, s.cfg.APIPassword); code != 503 {
		t.Fatalf("5xx: %d", code)
	}
	s.SetFailure(FailureTimeout)
	start := time.Now()
	if code, _ := apiGet(t, s, "/t2/", "", ""); code != 504 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("timeout: %d after %s", code, time.Since(start))
	}
	s.SetFailure(FailureNone)
	if err := s.Pay(context.Background(), &getpaid.Redirect{Method: "GET", URL: s.URL() + "/t2/?id=1"}, OutcomePaid); err == nil ||
		!strings.Contains(err.Error(), ErrRequiredParameters) {
		t.Fatalf("bad form: %v", err)
	}
	if err := s.Settle("nobody", true); err == nil {
		t.Fatal("settled nothing")
	}
	if _, err := s.RefundNotification("nobody", getpaid.MustParseMoney("1.00", "PLN")); err == nil {
		t.Fatal("refunded nothing")
	}
}

// postRefund asks the seller API for a refund of amount of the payment
// number under control, with a client that gives up after wait.
func postRefund(t *testing.T, s *Server, number, control, amount string, wait time.Duration) (int, error) {
	t.Helper()
	body := `{"amount":"` + amount + `","description":"r","control":"` + control + `"}`
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/s2/login/api/v1/payments/"+number+"/refund/", strings.NewReader(body))
	req.SetBasicAuth(s.cfg.APIUsername, s.cfg.APIPassword)
	resp, err := (&http.Client{Transport: brokerhttp.OwnTransport(), Timeout: wait}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Operation faults hit the refund endpoint only: timeout-after makes the
// refund and answers nothing, timeout-before and 5xx make none.
func TestOperationFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode     string
		code     int // 0: no answer in time
		refunded bool
	}{
		{FaultTimeoutAfter, 0, true},
		{FaultTimeoutBefore, 0, false},
		{Fault5xx, 500, false},
		{FaultNone, 200, true},
	} {
		t.Run("mode "+tt.mode, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{HangTimeout: 5 * time.Second})
			r := newReceiver(t)
			pay(t, s, r.srv.URL, "pay_1", OutcomePaid)
			number := s.Operations("pay_1")[0].Number
			s.SetOperationFault(tt.mode)
			code, err := postRefund(t, s, number, "op_1", "2.00", 300*time.Millisecond)
			if code != tt.code || (tt.code == 0) != (err != nil) {
				t.Fatalf("answered %d, %v; want %d", code, err, tt.code)
			}
			// The operations list is not faulted: it tells what happened.
			_, body := apiGet(t, s, "/s2/login/api/v1/operations/?control=op_1", s.cfg.APIUsername, s.cfg.APIPassword)
			results, _ := body["results"].([]any)
			if (len(results) == 1) != tt.refunded {
				t.Fatalf("refunds listed: %v", body)
			}
		})
	}
}

// With RefundDelay a refund stays new, then ends and is notified; with
// SettleAfter a payment left processing completes on its own.
func TestDelayedEnds(t *testing.T) {
	t.Parallel()
	s := start(t, Config{RefundDelay: 50 * time.Millisecond, SettleAfter: 20 * time.Millisecond})
	r := newReceiver(t)
	pay(t, s, r.srv.URL, "pay_1", OutcomeProcessing)
	if err := s.Quiet(context.Background()); err != nil {
		t.Fatal(err)
	}
	ops := s.Operations("pay_1")
	if len(ops) != 1 || ops[0].Status != "completed" {
		t.Fatalf("after SettleAfter: %+v", ops)
	}
	if code, err := postRefund(t, s, ops[0].Number, "op_1", "3.00", time.Second); code != 200 || err != nil {
		t.Fatalf("refund: %d %v", code, err)
	}
	if rf := s.Operations("op_1"); len(rf) != 1 || rf[0].Status != "new" {
		t.Fatalf("refund before its delay: %+v", rf)
	}
	// What is being refunded counts against what is left.
	if code, _ := postRefund(t, s, ops[0].Number, "op_2", "7.01", time.Second); code != 400 {
		t.Fatalf("a refund of more than is left: %d", code)
	}
	if err := s.Quiet(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rf := s.Operations("op_1"); len(rf) != 1 || rf[0].Status != "completed" {
		t.Fatalf("refund after its delay: %+v", rf)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var statuses []string
	for _, b := range r.bodies {
		statuses = append(statuses, b.Get("operation_type")+" "+b.Get("operation_status"))
	}
	if strings.Join(statuses, ",") != "payment processing,payment completed,refund completed" {
		t.Fatalf("URLCs %v", statuses)
	}
}

// Dotpay's own PHP SDK (dotpay/PHP-SDK, Resource\Seller::makeRefund) posts
// the refund amount as a JSON number: Model\Refund keeps it as a float
// ((float) rtrim($amount, '0')), so its body is {"amount":4.5,...}. The
// simulator took only a string and answered "JSON parse error", so the
// SDK's refunds never worked against it. A number of at most two
// decimals is taken as the string is; anything else is still refused.
func TestRefundAmountAsJSONNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, amount string
		code         int
		want         string
		refunded     string
	}{
		{"the SDK's float", `4.5`, 200, `"detail":"ok"`, "4.50"},
		{"a whole number", `4`, 200, `"detail":"ok"`, "4.00"},
		{"two decimals", `4.25`, 200, `"detail":"ok"`, "4.25"},
		{"the string form still", `"4.50"`, 200, `"detail":"ok"`, "4.50"},
		{"three decimals", `4.125`, 400, "amount", ""},
		{"negative", `-4`, 400, "amount", ""},
		{"zero", `0`, 400, "amount", ""},
		{"more than paid", `10.01`, 400, "INVALID_AMOUNT", ""},
		{"not a number", `true`, 400, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{})
			r := newReceiver(t)
			pay(t, s, r.srv.URL, "pay_1", OutcomePaid)
			number := s.Operations("pay_1")[0].Number
			body := `{"amount":` + tt.amount + `,"description":"Refund","control":"pay_1"}`
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/s2/login/api/v1/payments/"+number+"/refund/", strings.NewReader(body))
			req.SetBasicAuth(s.cfg.APIUsername, s.cfg.APIPassword)
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.want) {
				t.Fatalf("refund %s: %d %s", body, resp.StatusCode, b)
			}
			_ = s.Quiet(context.Background())
			ops := s.Operations("pay_1")
			if tt.refunded == "" {
				if len(ops) != 1 {
					t.Fatalf("a refused refund was made: %+v", ops)
				}
				return
			}
			if len(ops) != 2 || ops[1].Type != "refund" || ops[1].Amount != getpaid.MustParseMoney(tt.refunded, "PLN") {
				t.Fatalf("%+v", ops)
			}
		})
	}
}

// Dotpay's own PHP SDK checks a shop's seller API user with GET accounts/
// (Resource\Seller::isAccountRight) and its id and PIN with GET
// accounts/{id}/?format=json (checkPin: the account's config.pin against
// the shop's), reading id, status, name, mcc_code and config{urlc,
// block_external_urlc, pin}. The simulator served neither (404), so the
// SDK's checks failed against it.
func TestSellerAccounts(t *testing.T) {
	t.Parallel()
	s := start(t, Config{ShopID: "700001", PIN: "DemoPin0123456789"})
	u, p := s.cfg.APIUsername, s.cfg.APIPassword
	for _, tt := range []struct {
		name, path, user, pass string
		code                   int
		check                  func(map[string]any) bool
	}{
		{"list", "/s2/login/api/v1/accounts/", u, p, 200, func(b map[string]any) bool {
			rs, _ := b["results"].([]any)
			return b["count"] == float64(1) && len(rs) == 1 && rs[0].(map[string]any)["id"] == float64(700001)
		}},
		{"list, test environment", "/test_seller/api/v1/accounts/?format=json", u, p, 200, func(b map[string]any) bool { return b["count"] == float64(1) }},
		{"list, wrong password", "/s2/login/api/v1/accounts/", u, "wrong", 401, func(b map[string]any) bool { return b["detail"] == "Invalid username/password" }},
		{"one", "/s2/login/api/v1/accounts/700001/?format=json", u, p, 200, func(b map[string]any) bool {
			c, _ := b["config"].(map[string]any)
			return b["id"] == float64(700001) && b["status"] == "active" && b["name"] != "" && b["mcc_code"] != nil &&
				c["pin"] == "DemoPin0123456789" && c["block_external_urlc"] == false && c["urlc"] != nil
		}},
		{"another shop", "/s2/login/api/v1/accounts/700002/", u, p, 404, func(b map[string]any) bool { return b["detail"] == "Not found." }},
		{"one, no user", "/s2/login/api/v1/accounts/700001/", "", "", 401, func(map[string]any) bool { return true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := apiGet(t, s, tt.path, tt.user, tt.pass)
			if code != tt.code || !tt.check(body) {
				t.Fatalf("%s: %d %v", tt.path, code, body)
			}
		})
	}
}
