package payu_test

// An outside-in check of the PayU backend against a fake PayU written from
// PayU's documentation alone (brokers.md §1, the "PayU GPO Europe REST API"
// 2.1.0 OpenAPI, developers.payu.com's notification, capture-and-cancel and
// refund pages), not from the backend or payutest: a rule both of those got
// wrong the same way fails here.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

const (
	fakePos    = "300746"
	fakeKey    = "b6ca15b0d1020e8094d9b5f8d163db54"
	fakeSecret = "2ee86a66e5d97e3fadc400c9f19b065d"
)

type fakeOrder struct {
	ID, Ext, Notify, Currency, Total, Status string
	Body                                     map[string]any
}

type fakeRefund struct {
	ID, Ext, Amount, Currency, Status string
}

// xPayU is PayU as its documentation describes it.
type xPayU struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]bool
	expiresIn int
	orders    map[string]*fakeOrder
	byExt     map[string]string
	refunds   map[string][]*fakeRefund
	calls     []string // "METHOD path"
	bodies    map[string][]byte
	fail      map[string]int // "METHOD path-prefix" -> HTTP status to answer
	hang      map[string]bool
	seq       int
	// noStatus answers the order retrieve as the OpenAPI's 200 schema
	// has it: orders and properties, no status object.
	noStatus bool
	// lose answers 504 to calls of these prefixes after carrying them out.
	lose map[string]bool
	// created answers the create with this HTTP status and statusCode
	// instead of 302 SUCCESS.
	createdCode int
	createdAs   string
}

func newXPayU(t *testing.T) *xPayU {
	f := &xPayU{t: t, tokens: map[string]bool{}, expiresIn: 43199, orders: map[string]*fakeOrder{},
		byExt: map[string]string{}, refunds: map[string][]*fakeRefund{}, bodies: map[string][]byte{},
		fail: map[string]int{}, hang: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *xPayU) status(w http.ResponseWriter, code int, statusCode string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"status":{"statusCode":%q}}`, statusCode)
}

var orderPath = regexp.MustCompile(`^/api/v2_1/orders/([A-Z0-9]+)(/captures|/status|/refunds)?$`)

func (f *xPayU) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	key := r.Method + " " + r.URL.Path
	f.calls = append(f.calls, key)
	f.bodies[key] = body
	var failWith int
	var hang bool
	for prefix, code := range f.fail {
		if strings.HasPrefix(key, prefix) {
			failWith = code
		}
	}
	for prefix := range f.hang {
		if strings.HasPrefix(key, prefix) {
			hang = true
		}
	}
	f.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if failWith != 0 {
		http.Error(w, "upstream trouble", failWith)
		return
	}
	f.mu.Lock()
	lose := false
	for prefix := range f.lose {
		if strings.HasPrefix(key, prefix) {
			lose = true
			f.lose = nil // once
		}
	}
	f.mu.Unlock()
	if lose {
		f.serveRest(httptest.NewRecorder(), r, body)
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
		return
	}
	f.serveRest(w, r, body)
}

func (f *xPayU) serveRest(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method == http.MethodPost && r.URL.Path == "/pl/standard/user/oauth/authorize" {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			f.t.Errorf("oauth: Content-Type %q", ct)
		}
		q, _ := urlParse(string(body))
		if q["grant_type"] != "client_credentials" || q["client_id"] != fakePos || q["client_secret"] != fakeSecret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Bad client credentials"}`)
			return
		}
		f.mu.Lock()
		f.seq++
		tok := fmt.Sprintf("7d2a2d5e-0000-4000-8000-%012d", f.seq)
		f.tokens[tok] = true
		exp := f.expiresIn
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":%d,"grant_type":"client_credentials"}`, tok, exp)
		return
	}
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.tokens[auth]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_token","error_description":"Invalid access token"}`)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/v2_1/orders" {
		f.create(w, body)
		return
	}
	m := orderPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[m[1]]
	if o == nil {
		f.status(w, http.StatusNotFound, "DATA_NOT_FOUND")
		return
	}
	switch {
	case r.Method == http.MethodGet && m[2] == "":
		w.Header().Set("Content-Type", "application/json")
		ord := map[string]any{}
		for k, v := range o.Body {
			ord[k] = v
		}
		ord["orderId"], ord["status"], ord["totalAmount"] = o.ID, o.Status, o.Total
		out := map[string]any{"orders": []any{ord}, "status": map[string]string{"statusCode": "SUCCESS", "statusDesc": "Request processing successful"},
			"properties": []any{map[string]string{"name": "PAYMENT_ID", "value": "5000001"}}}
		if f.noStatus {
			delete(out, "status")
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodDelete && m[2] == "":
		if o.Status == "COMPLETED" || o.Status == "CANCELED" {
			f.status(w, http.StatusBadRequest, "ERROR_ORDER_NOT_UPDATABLE")
			return
		}
		o.Status = "CANCELED"
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"orderId":%q,"extOrderId":%q,"status":{"statusCode":"SUCCESS"}}`, o.ID, o.Ext)
	case r.Method == http.MethodPost && m[2] == "/captures", r.Method == http.MethodPut && m[2] == "/status":
		if r.Method == http.MethodPut {
			var req struct{ OrderID, OrderStatus string }
			if err := json.Unmarshal(body, &req); err != nil || req.OrderID != o.ID || req.OrderStatus != "COMPLETED" {
				f.status(w, http.StatusBadRequest, "ERROR_SYNTAX")
				return
			}
		}
		if o.Status != "WAITING_FOR_CONFIRMATION" {
			f.status(w, http.StatusBadRequest, "ERROR_ORDER_NOT_UPDATABLE")
			return
		}
		o.Status = "COMPLETED"
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":{"statusCode":"SUCCESS","statusDesc":"Status was updated"}}`)
	case r.Method == http.MethodPost && m[2] == "/refunds":
		var req struct {
			Refund struct {
				Description, Amount, ExtRefundID, CurrencyCode string
			}
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Refund.Description == "" {
			f.status(w, http.StatusBadRequest, "ERROR_VALUE_MISSING")
			return
		}
		if req.Refund.Amount != "" && !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(req.Refund.Amount) {
			f.status(w, http.StatusBadRequest, "ERROR_VALUE_INVALID")
			return
		}
		for _, rf := range f.refunds[o.ID] {
			if rf.Ext != "" && rf.Ext == req.Refund.ExtRefundID {
				f.writeRefund(w, o, rf) // idempotent on the same data
				return
			}
		}
		amount := req.Refund.Amount
		if amount == "" {
			amount = o.Total
		}
		f.seq++
		rf := &fakeRefund{ID: fmt.Sprint(5000000000 + f.seq), Ext: req.Refund.ExtRefundID, Amount: amount, Currency: o.Currency, Status: "PENDING"}
		f.refunds[o.ID] = append(f.refunds[o.ID], rf)
		f.writeRefund(w, o, rf)
	case r.Method == http.MethodGet && m[2] == "/refunds":
		var list []map[string]string
		for _, rf := range f.refunds[o.ID] {
			list = append(list, map[string]string{"refundId": rf.ID, "extRefundId": rf.Ext, "amount": rf.Amount,
				"currencyCode": rf.Currency, "description": "refund", "creationDateTime": "2026-12-03T10:00:00.000+01:00",
				"status": rf.Status, "statusDateTime": "2026-12-03T10:00:01.000+01:00"})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list) // the OpenAPI's shape: a bare array
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (f *xPayU) writeRefund(w http.ResponseWriter, o *fakeOrder, rf *fakeRefund) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"orderId": o.ID, "refund": map[string]string{
		"refundId": rf.ID, "extRefundId": rf.Ext, "amount": rf.Amount, "currencyCode": rf.Currency,
		"description": "refund", "creationDateTime": "2026-12-03T10:00:00.000+01:00", "status": "PENDING",
		"statusDateTime": "2026-12-03T10:00:01.000+01:00"},
		"status": map[string]string{"statusCode": "SUCCESS", "statusDesc": "Refund queued for processing"}})
}

func urlParse(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, "&") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func (f *xPayU) create(w http.ResponseWriter, body []byte) {
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		f.status(w, http.StatusBadRequest, "ERROR_SYNTAX")
		return
	}
	for _, k := range []string{"customerIp", "merchantPosId", "description", "currencyCode", "totalAmount"} {
		if s, ok := req[k].(string); !ok || s == "" {
			f.t.Errorf("create: %s is %#v, want a non-empty string", k, req[k])
			f.status(w, http.StatusBadRequest, "ERROR_VALUE_MISSING")
			return
		}
	}
	if req["merchantPosId"] != fakePos || !digits.MatchString(req["totalAmount"].(string)) {
		f.t.Errorf("create: merchantPosId %v totalAmount %v", req["merchantPosId"], req["totalAmount"])
		f.status(w, http.StatusBadRequest, "ERROR_VALUE_INVALID")
		return
	}
	products, _ := req["products"].([]any)
	if len(products) == 0 {
		f.t.Errorf("create: no products")
	}
	for _, p := range products {
		p, _ := p.(map[string]any)
		for _, k := range []string{"name", "unitPrice", "quantity"} {
			if _, ok := p[k].(string); !ok {
				f.t.Errorf("create: products[].%s is %#v, want a string", k, p[k])
			}
		}
	}
	ext, _ := req["extOrderId"].(string)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.byExt[ext]; ext != "" && dup {
		f.status(w, http.StatusBadRequest, "ERROR_ORDER_NOT_UNIQUE")
		return
	}
	f.seq++
	id := fmt.Sprintf("WZHF5FFDRJ%06dGUEST000P01", f.seq)
	notify, _ := req["notifyUrl"].(string)
	f.orders[id] = &fakeOrder{ID: id, Ext: ext, Notify: notify, Currency: req["currencyCode"].(string),
		Total: req["totalAmount"].(string), Status: "NEW", Body: req}
	f.byExt[ext] = id
	redirect := f.srv.URL + "/pay/?orderId=" + id + "&token=x"
	w.Header().Set("Content-Type", "application/json")
	code, sc := http.StatusFound, "SUCCESS"
	if f.createdCode != 0 {
		code, sc = f.createdCode, f.createdAs
	}
	w.Header().Set("Location", redirect)
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"status":{"statusCode":%q},"redirectUri":%q,"orderId":%q,"extOrderId":%q}`, sc, redirect, id, ext)
}

// orderNote is PayU's order notification body for the order in the given
// status, total overriding the order's amount when not empty.
func (f *xPayU) orderNote(id, status, total string) []byte {
	f.mu.Lock()
	o := f.orders[id]
	f.mu.Unlock()
	if total == "" {
		total = o.Total
	}
	b, _ := json.Marshal(map[string]any{"order": map[string]any{"orderId": o.ID, "extOrderId": o.Ext,
		"orderCreateDate": "2026-12-03T10:00:00.000+01:00", "notifyUrl": o.Notify, "customerIp": "203.0.113.7",
		"merchantPosId": fakePos, "description": "Two mugs", "currencyCode": o.Currency, "totalAmount": total,
		"buyer":     map[string]string{"email": "buyer@example.com", "language": "pl"},
		"payMethod": map[string]string{"type": "PBL"},
		"products":  []any{map[string]string{"name": "Two mugs", "unitPrice": total, "quantity": "1"}},
		"status":    status},
		"localReceiptDateTime": "2026-12-03T10:01:00.000+01:00",
		"properties":           []any{map[string]string{"name": "PAYMENT_ID", "value": "5000001"}}})
	return b
}

func (f *xPayU) refundNote(id string, rf *fakeRefund, status string) []byte {
	f.mu.Lock()
	o := f.orders[id]
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"orderId": o.ID, "extOrderId": o.Ext, "refund": map[string]string{
		"refundId": rf.ID, "amount": rf.Amount, "currencyCode": rf.Currency, "status": status,
		"statusDateTime": "2026-12-03T10:05:00.000+01:00", "reason": "refund", "reasonDescription": "on request",
		"refundDate": "2026-12-03T10:05:00.000+01:00"}})
	return b
}

func signPayU(body []byte, key, alg string) string {
	var sum []byte
	switch alg {
	case "MD5":
		s := md5.Sum(append(append([]byte{}, body...), key...))
		sum = s[:]
	case "SHA-256", "SHA256":
		s := sha256.Sum256(append(append([]byte{}, body...), key...))
		sum = s[:]
	}
	return "sender=checkout;signature=" + hex.EncodeToString(sum) + ";algorithm=" + alg + ";content=DOCUMENT"
}

// notify posts a notification to the order's notifyUrl as PayU does, with
// both signature headers, and answers the HTTP status.
func (f *xPayU) notify(t *testing.T, id string, body []byte, header string) int {
	t.Helper()
	f.mu.Lock()
	url := f.orders[id].Notify
	f.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("OpenPayu-Signature", header)
	req.Header.Set("X-OpenPayU-Signature", header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("notify: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (f *xPayU) setStatus(id, status string) {
	f.mu.Lock()
	f.orders[id].Status = status
	f.mu.Unlock()
}

func (f *xPayU) called(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

type outside struct {
	fake *xPayU
	eng  *engine.Engine
	shop *httptest.Server
}

func newOutside(t *testing.T, mod func(*payu.Config), proxies ...netip.Prefix) *outside {
	t.Helper()
	fake := newXPayU(t)
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux)
	t.Cleanup(shop.Close)
	cfg := payu.Config{PosID: fakePos, SecondKey: fakeKey, ClientID: fakePos, ClientSecret: fakeSecret,
		APIURL: fake.srv.URL, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	b, err := payu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "payu", Title: "PayU", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: shop.URL + "/payments"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	h, err := httpapi.New(httpapi.Config{Service: eng, TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/payments/", http.StripPrefix("/payments", h))
	return &outside{fake: fake, eng: eng, shop: shop}
}

func (o *outside) pay(t *testing.T, amount string) (*getpaid.Payment, string) {
	t.Helper()
	p, err := o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "order-" + t.Name(), Backend: "payu",
		Amount: getpaid.MustParseMoney(amount, "PLN"), Description: "Two mugs",
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	id := o.fake.orderID(p.ID)
	if id == "" {
		t.Fatalf("no order at PayU with extOrderId %s", p.ID)
	}
	return p, id
}

func (o *outside) payment(t *testing.T, id string) *getpaid.Payment {
	t.Helper()
	p, err := o.eng.Payment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOutsideCreateAndNotifications(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "49.99")
	if p.Status != getpaid.StatusPrepared || p.Redirect == nil || !strings.HasPrefix(p.Redirect.URL, o.fake.srv.URL+"/pay/?orderId="+id) {
		t.Fatalf("after create: %s %+v", p.Status, p.Redirect)
	}
	req := o.fake.order(id).Body
	for k, want := range map[string]any{"merchantPosId": fakePos, "totalAmount": "4999", "currencyCode": "PLN",
		"customerIp": "203.0.113.7", "extOrderId": p.ID, "notifyUrl": o.shop.URL + "/payments/callback/payu"} {
		if req[k] != want {
			t.Errorf("create %s = %#v, want %#v", k, req[k], want)
		}
	}
	if s, _ := req["continueUrl"].(string); s == "" {
		t.Errorf("create without continueUrl")
	}
	tests := []struct {
		name   string
		body   []byte
		header func(b []byte) string
		want   int
		status getpaid.Status
	}{
		{"pending MD5", o.fake.orderNote(id, "PENDING", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusChargeStarted},
		{"wrong MD5", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, "nope", "MD5") }, 403, getpaid.StatusChargeStarted},
		{"wrong SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, "nope", "SHA-256") }, 403, getpaid.StatusChargeStarted},
		{"MD5 signature named SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string {
			return strings.Replace(signPayU(b, fakeKey, "MD5"), "algorithm=MD5", "algorithm=SHA-256", 1)
		}, 403, getpaid.StatusChargeStarted},
		{"amount disagrees", o.fake.orderNote(id, "COMPLETED", "4998"), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 422, getpaid.StatusChargeStarted},
		{"completed SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, fakeKey, "SHA-256") }, 200, getpaid.StatusPaid},
		{"replayed", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
		{"late pending", o.fake.orderNote(id, "PENDING", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
		{"late canceled", o.fake.orderNote(id, "CANCELED", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
	}
	for _, tc := range tests { // in order: each case builds on the one before
		if got := o.fake.notify(t, id, tc.body, tc.header(tc.body)); got != tc.want {
			t.Errorf("%s: answered %d, want %d", tc.name, got, tc.want)
		}
		if got := o.payment(t, p.ID); got.Status != tc.status {
			t.Errorf("%s: status %s, want %s", tc.name, got.Status, tc.status)
		}
	}
	if got := o.payment(t, p.ID); got.Captured != 4999 {
		t.Errorf("captured %d, want 4999", got.Captured)
	}
}

func TestOutsideUnknownOrder(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	_, id := o.pay(t, "10.00")
	o.fake.mu.Lock()
	o.fake.orders["WZHF5FFDRJ999999GUEST000P01"] = &fakeOrder{ID: "WZHF5FFDRJ999999GUEST000P01", Ext: "pay_unknown",
		Notify: o.fake.orders[id].Notify, Currency: "PLN", Total: "1000", Status: "COMPLETED"}
	o.fake.mu.Unlock()
	b := o.fake.orderNote("WZHF5FFDRJ999999GUEST000P01", "COMPLETED", "")
	if got := o.fake.notify(t, "WZHF5FFDRJ999999GUEST000P01", b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Errorf("unknown order answered %d, want 200 (PayU stops resending)", got)
	}
}

func TestOutsidePreAuthCaptureRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Fatalf("hold answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPreAuth || got.Locked != 10000 {
		t.Fatalf("after hold: %s locked %d", got.Status, got.Locked)
	}
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "cap-1"})
	if err != nil {
		t.Fatalf("capture: %v (calls %v)", err, o.fake.callList())
	}
	if res.Payment.Status != getpaid.StatusPaid || res.Payment.Captured != 10000 {
		t.Errorf("after capture: %s captured %d", res.Payment.Status, res.Payment.Captured)
	}
	b = o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Errorf("completed after capture answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Captured != 10000 {
		t.Errorf("captured %d after the COMPLETED notification, want 10000 (counted once)", got.Captured)
	}

	// A second order: held, then released.
	o2, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-2", Backend: "payu", Amount: getpaid.MustParseMoney("100.00", "PLN"),
		Description: "Two mugs", ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	id2 := o.fake.orderID(o2.ID)
	o.fake.setStatus(id2, "WAITING_FOR_CONFIRMATION")
	b = o.fake.orderNote(id2, "WAITING_FOR_CONFIRMATION", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	res, err = o.eng.Release(ctx, getpaid.ActionRequest{PaymentID: o2.ID, IdempotencyKey: "rel-1"})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if o.fake.called("DELETE /api/v2_1/orders/"+id2) != 1 {
		t.Errorf("release did not DELETE the order: %v", o.fake.callList())
	}
	b = o.fake.orderNote(id2, "CANCELED", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	if got := o.payment(t, o2.ID); got.Status != getpaid.StatusCancelled || got.Locked != 0 {
		t.Errorf("after release: %s locked %d", got.Status, got.Locked)
	}
}

func TestOutsideRefunds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))

	amt := getpaid.MustParseMoney("30.00", "PLN")
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "r-1"})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	var req struct {
		Refund map[string]any `json:"refund"`
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &req) })
	if req.Refund["amount"] != "3000" || req.Refund["description"] == "" || req.Refund["extRefundId"] == nil {
		t.Errorf("refund body %v", req.Refund)
	}
	if res.Payment.Status != getpaid.StatusRefundStarted {
		t.Errorf("after partial refund asked: %s", res.Payment.Status)
	}
	rf := o.fake.refundsOf(id)[0]
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	if got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5")); got != 200 {
		t.Errorf("refund FINALIZED answered %d", got)
	}
	if got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "SHA-256")); got != 200 {
		t.Errorf("refund FINALIZED again answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != 3000 {
		t.Errorf("after partial refund: %s refunded %d", got.Status, got.Refunded)
	}
	rb2 := append([]byte(nil), rb...)
	rb2[len(rb2)-3] ^= 1
	if got := o.fake.notify(t, id, rb2, signPayU(rb, fakeKey, "MD5")); got != 403 {
		t.Errorf("tampered refund notification answered %d", got)
	}

	res, err = o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r-2"})
	if err != nil {
		t.Fatalf("refund the rest: %v", err)
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &req) })
	if a, ok := req.Refund["amount"]; ok && a != "7000" {
		t.Errorf("refund of the rest sent amount %v, want 7000 (or none only if nothing was refunded before)", a)
	}
	rf = o.fake.refundsOf(id)[1]
	if rf.Amount != "7000" {
		t.Errorf("PayU refunds %s for the rest, want 7000", rf.Amount)
	}
	// canceled first, for a refund PayU could not carry out
	rb = o.fake.refundNote(id, rf, "CANCELED")
	o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	if got := o.payment(t, p.ID); got.Refunded != 3000 || got.RefundAsked != 0 {
		t.Errorf("after CANCELED refund: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
}

func TestOutsideTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	o := newOutside(t, func(c *payu.Config) { c.Now = clock })
	p, id := o.pay(t, "10.00")
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Fatalf("%d token fetches", n)
	}
	// Within its life the token is reused.
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Errorf("%d token fetches for a second call", n)
	}
	// Near its end (43199 s) a new one is fetched before the call.
	mu.Lock()
	now = now.Add(43199*time.Second - 30*time.Second)
	mu.Unlock()
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 2 {
		t.Errorf("%d token fetches near expiry, want 2", n)
	}
	// PayU forgets the token early: 401, a new token, the call again.
	o.fake.mu.Lock()
	o.fake.tokens = map[string]bool{}
	o.fake.mu.Unlock()
	o.fake.setStatus(id, "COMPLETED")
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil {
		t.Fatalf("poll after the token was revoked: %v", err)
	}
	if got.Status != getpaid.StatusPaid {
		t.Errorf("poll: %s", got.Status)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 3 {
		t.Errorf("%d token fetches after a 401, want 3", n)
	}
}

func TestOutsideBrokerDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders"] = 503 })
	_, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-down", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if err == nil || !errorsAs(err, &be) || !be.Retryable {
		t.Errorf("create on 503: %v, want a retryable broker error", err)
	}
	o.fake.locked(func() { delete(o.fake.fail, "POST /api/v2_1/orders") })
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))

	// The refund's answer is lost: the operation is in doubt, not failed.
	o.fake.locked(func() { o.fake.hang["POST /api/v2_1/orders/"+id+"/refunds"] = true })
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r-doubt"})
	t.Logf("refund on timeout: %v", err)
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Errorf("after a timeout: %+v (%v)", ops, res)
	}
	// A 5xx after the request was sent: in doubt too.
	o.fake.locked(func() { delete(o.fake.hang, "POST /api/v2_1/orders/"+id+"/refunds") })
	p2, id2 := func() (*getpaid.Payment, string) {
		p, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-2", Backend: "payu", Amount: getpaid.MustParseMoney("100.00", "PLN"),
			Description: "x", ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		return p, o.fake.orderID(p.ID)
	}()
	o.fake.setStatus(id2, "COMPLETED")
	b = o.fake.orderNote(id2, "COMPLETED", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id2+"/refunds"] = 500 })
	_, err = o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p2.ID, IdempotencyKey: "r-500"})
	t.Logf("refund on 500: %v", err)
	ops, _ = o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p2.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Errorf("after a 500: %+v", ops.Operations[0])
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// The simulator signs as PayU does: both headers, sender=checkout, the
// signature over the raw body and the second key, MD5 by default.
func TestOutsideSimulatorSigns(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "SHA-256"} {
		t.Run("alg="+alg, func(t *testing.T) {
			t.Parallel()
			type got struct {
				h    http.Header
				body []byte
			}
			seen := make(chan got, 16)
			shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				seen <- got{r.Header.Clone(), b}
			}))
			defer shop.Close()
			sim := payutest.Start(payutest.Config{Algorithm: alg})
			defer sim.Close()
			sc := sim.Config()
			b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, APIURL: sim.URL()})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Provision(context.Background(), getpaid.NewEnv("payu", shop.URL, nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_sim1", OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("12.34", "PLN"), Description: "x", ClientIP: "203.0.113.7"}
			prep, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.Pay(context.Background(), prep.Redirect, payutest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			want := alg
			if want == "" {
				want = "MD5"
			}
			select {
			case g := <-seen:
				for _, name := range []string{"OpenPayu-Signature", "X-OpenPayU-Signature"} {
					h := g.h.Get(name)
					if h != signPayU(g.body, sc.SecondKey, want) {
						t.Errorf("%s: %q, want %q", name, h, signPayU(g.body, sc.SecondKey, want))
					}
				}
				var n struct {
					Order map[string]any `json:"order"`
				}
				if err := json.Unmarshal(g.body, &n); err != nil || n.Order["totalAmount"] != "1234" || n.Order["extOrderId"] != "pay_sim1" || n.Order["merchantPosId"] != sc.PosID {
					t.Errorf("notification body %s", g.body)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no notification")
			}
		})
	}
}

type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
	h.mu.Unlock()
	return nil, fmt.Errorf("offline")
}

func TestOutsideHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sandbox bool
		want    string
	}{{false, "https://secure.payu.com/pl/standard/user/oauth/authorize"}, {true, "https://secure.snd.payu.com/pl/standard/user/oauth/authorize"}} {
		rec := &hostRecorder{}
		b, err := payu.New(payu.Config{PosID: fakePos, SecondKey: fakeKey, ClientID: fakePos, ClientSecret: fakeSecret,
			Sandbox: tc.sandbox, HTTPClient: &http.Client{Transport: rec}})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Provision(context.Background(), getpaid.NewEnv("payu", "https://shop.example/payments", nil)); err != nil {
			t.Fatal(err)
		}
		p := &getpaid.Payment{ID: "pay_h", OrderID: "o", Backend: "payu", Status: getpaid.StatusNew,
			Amount: getpaid.MustParseMoney("1.00", "PLN"), Description: "x"}
		_, err = b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
		if err == nil || len(rec.hosts) == 0 || rec.hosts[0] != tc.want {
			t.Errorf("sandbox=%v: %v asked %v, want %s", tc.sandbox, err, rec.hosts, tc.want)
		}
	}
}

func TestOutsideConfigErrors(t *testing.T) {
	t.Parallel()
	ok := payu.Config{PosID: fakePos, SecondKey: fakeKey, ClientID: fakePos, ClientSecret: fakeSecret}
	for name, mod := range map[string]func(*payu.Config){
		"no pos_id":        func(c *payu.Config) { c.PosID = "" },
		"no second_key":    func(c *payu.Config) { c.SecondKey = "" },
		"no client_id":     func(c *payu.Config) { c.ClientID = "" },
		"no client_secret": func(c *payu.Config) { c.ClientSecret = "" },
	} {
		c := ok
		mod(&c)
		if _, err := payu.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// A wrong second key: PayU's notifications are refused (403), nothing paid.
	o := newOutside(t, func(c *payu.Config) { c.SecondKey = "0c017495773278c50c7b35434017b2ca" })
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 403 {
		t.Errorf("notification under another key answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPrepared {
		t.Errorf("status %s", got.Status)
	}
	// Wrong client secret: the create is refused, not retried for ever.
	o2 := newOutside(t, func(c *payu.Config) { c.ClientSecret = "wrong" })
	_, err := o2.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-sec", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if err == nil || !errorsAs(err, &be) || be.Retryable {
		t.Errorf("wrong client secret: %v (retryable=%v)", err, be != nil && be.Retryable)
	}
	t.Logf("wrong client secret: %v", err)
}

func TestOutsideXHeaderOnly(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	req, _ := http.NewRequest(http.MethodPost, o.fake.order(id).Notify, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-OpenPayU-Signature", signPayU(b, fakeKey, "MD5"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || o.payment(t, p.ID).Status != getpaid.StatusPaid {
		t.Errorf("X-OpenPayU-Signature only: %d %s", resp.StatusCode, o.payment(t, p.ID).Status)
	}
}

// The refund's answer is lost after PayU made it: the reconciler finds it in
// the order's refund list (the OpenAPI's bare array).
func TestOutsideDoubtReconciled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	// made, then lost: put the refund there by hand as PayU would have
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/refunds"] = 504 })
	amt := getpaid.MustParseMoney("40.00", "PLN")
	_, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "k"})
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Fatalf("refund on 504: %v %+v", err, ops)
	}
	opID := ops.Operations[0].ID
	var sent struct {
		Refund struct{ ExtRefundID string }
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &sent) })
	o.fake.mu.Lock()
	o.fake.refunds[id] = append(o.fake.refunds[id], &fakeRefund{ID: "5000000999", Ext: sent.Refund.ExtRefundID, Amount: "4000", Currency: "PLN", Status: "FINALIZED"})
	delete(o.fake.fail, "POST /api/v2_1/orders/"+id+"/refunds")
	o.fake.mu.Unlock()
	if _, err := o.eng.CheckOperation(ctx, opID); err != nil {
		t.Fatalf("check: %v", err)
	}
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	op, _ := o.eng.Operation(ctx, opID)
	if op.State != getpaid.OpSucceeded {
		t.Errorf("after the lookup: %s (%s)", op.State, op.LastCheck)
	}
	if got := o.payment(t, p.ID); got.Refunded != 4000 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("after the lookup: %s refunded %d", got.Status, got.Refunded)
	}
	if n := o.fake.called("POST /api/v2_1/orders/" + id + "/refunds"); n != 1 {
		t.Errorf("refund asked %d times", n)
	}
}

// A PayU (or a fake of it) that knows only the capture the payment lifecycle
// page describes (PUT …/status, deprecated in the OpenAPI) still captures.
func TestOutsideCaptureByStatusUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/captures"] = 404 })
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"})
	if err != nil {
		t.Fatalf("capture: %v (calls %v)", err, o.fake.callList())
	}
	if res.Payment.Status != getpaid.StatusPaid || o.fake.called("PUT /api/v2_1/orders/"+id+"/status") != 1 {
		t.Errorf("capture: %s, calls %v", res.Payment.Status, o.fake.callList())
	}
}

func (o *outside) paid(t *testing.T, amount string) (*getpaid.Payment, string) {
	t.Helper()
	p, id := o.pay(t, amount)
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Fatalf("COMPLETED answered %d", got)
	}
	return p, id
}

// The refund's answer is lost, and PayU's FINALIZED notification (which
// names PayU's refundId, not extRefundId, in the documented sample) comes
// before the reconciler's lookup.
func TestOutsideRefundNotificationOvertakesLostAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/refunds"] = 504 })
	amt := getpaid.MustParseMoney("40.00", "PLN")
	o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "k"})
	rf := &fakeRefund{ID: "5000000777", Amount: "4000", Currency: "PLN", Status: "FINALIZED"}
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	pp := o.payment(t, p.ID)
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	t.Logf("answered %d; %s refunded %d asked %d; op %s", got, pp.Status, pp.Refunded, pp.RefundAsked, ops.Operations[0].State)
	if got != 200 || pp.Refunded != 4000 || pp.RefundAsked != 0 {
		t.Errorf("answered %d; %s refunded %d asked %d", got, pp.Status, pp.Refunded, pp.RefundAsked)
	}
	// The reconciler then finds it in PayU's list: counted once.
	var sent struct {
		Refund struct{ ExtRefundID string }
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &sent) })
	rf.Ext = sent.Refund.ExtRefundID
	o.fake.mu.Lock()
	o.fake.refunds[id] = append(o.fake.refunds[id], rf)
	o.fake.mu.Unlock()
	if op := ops.Operations[0]; !op.State.Final() {
		if _, err := o.eng.CheckOperation(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := o.eng.Reconcile(ctx, 10); err != nil {
			t.Fatal(err)
		}
		op, _ = o.eng.Operation(ctx, op.ID)
		pp = o.payment(t, p.ID)
		t.Logf("after the lookup: op %s; %s refunded %d asked %d", op.State, pp.Status, pp.Refunded, pp.RefundAsked)
		if op.State != getpaid.OpSucceeded || pp.Refunded != 4000 || pp.RefundAsked != 0 {
			t.Errorf("after the lookup: op %s; %s refunded %d asked %d", op.State, pp.Status, pp.Refunded, pp.RefundAsked)
		}
	}
}

// A refund made in PayU's panel is recorded from its notification.
func TestOutsidePanelRefund(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	rf := &fakeRefund{ID: "5000000888", Amount: "2500", Currency: "PLN"}
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	pp := o.payment(t, p.ID)
	if got != 200 || pp.Refunded != 2500 || pp.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("answered %d; %s refunded %d", got, pp.Status, pp.Refunded)
	}
	// the same, repeated: counted once
	o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	if pp = o.payment(t, p.ID); pp.Refunded != 2500 {
		t.Errorf("repeated panel refund: refunded %d", pp.Refunded)
	}
}

func TestOutsideCurrencyAndSpelling(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := bytes.Replace(o.fake.orderNote(id, "COMPLETED", ""), []byte(`"currencyCode":"PLN"`), []byte(`"currencyCode":"EUR"`), 1)
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 422 {
		t.Errorf("other currency answered %d", got)
	}
	b = o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "SHA256")); got != 200 || o.payment(t, p.ID).Status != getpaid.StatusPaid {
		t.Errorf("algorithm=SHA256 answered %d", got)
	}
}

func TestOutsideShortTokenAndHUF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.expiresIn = 30 })
	p, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-huf", Backend: "payu", Amount: getpaid.MustParseMoney("10", "HUF"),
		Description: "x", ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatalf("pay with a 30 s token: %v", err)
	}
	id := o.fake.orderID(p.ID)
	if got := o.fake.order(id).Total; got != "1000" {
		t.Errorf("10 HUF sent as %s, want 1000", got)
	}
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Errorf("poll with a 30 s token: %v", err)
	}
	t.Logf("token fetches: %d", o.fake.called("POST /pl/standard/user/oauth/authorize"))
	// A 401 that lasts: one retry, then an error (no loop).
	o.fake.mu.Lock()
	o.fake.fail["GET /api/v2_1/orders/"] = 401
	o.fake.mu.Unlock()
	before := o.fake.called("GET /api/v2_1/orders/")
	_, err = o.eng.Poll(ctx, p.ID)
	t.Logf("poll on lasting 401: %v (%d GETs)", err, o.fake.called("GET /api/v2_1/orders/")-before)
	if err == nil || o.fake.called("GET /api/v2_1/orders/")-before > 2 {
		t.Errorf("lasting 401: %v, %d calls", err, o.fake.called("GET /api/v2_1/orders/")-before)
	}
}

// PayU's OpenAPI documents the order retrieve's 200 answer as orders and
// properties, with no status object: an answer of that shape is PayU's, and
// polling (and the reconciler's check of a capture or release) reads it.
func TestOutsideRetrieveWithoutStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	o.fake.mu.Lock()
	o.fake.noStatus = true
	o.fake.mu.Unlock()
	o.fake.setStatus(id, "COMPLETED")
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if got.Status != getpaid.StatusPaid || got.Captured != 1000 {
		t.Errorf("after poll: %s captured %d", got.Status, got.Captured)
	}
}

func (f *xPayU) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *xPayU) orderID(ext string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byExt[ext]
}

func (f *xPayU) order(id string) fakeOrder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.orders[id]
}

func (f *xPayU) refundsOf(id string) []*fakeRefund {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeRefund(nil), f.refunds[id]...)
}

func (f *xPayU) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// A partial capture: PayU documents neither the order's totalAmount after it
// nor the COMPLETED notification's; a fake that keeps the order's amount
// (nothing says it changes) sends COMPLETED with the whole of it.
func TestOutsidePartialCaptureThenCompleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	amt := getpaid.MustParseMoney("30.00", "PLN")
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "c"})
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	t.Logf("after partial capture: %s captured %d locked %d; body %s", res.Payment.Status, res.Payment.Captured, res.Payment.Locked,
		o.fake.get("POST /api/v2_1/orders/"+id+"/captures"))
	b = o.fake.orderNote(id, "COMPLETED", "")
	code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got := o.payment(t, p.ID)
	t.Logf("COMPLETED 10000 after it: answered %d; %s captured %d", code, got.Status, got.Captured)
	if got.Captured != 3000 {
		t.Errorf("COMPLETED with the order's whole amount after a partial capture of 30.00: captured %d, want 3000", got.Captured)
	}
	b = o.fake.orderNote(id, "COMPLETED", "3000")
	code = o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got = o.payment(t, p.ID)
	t.Logf("COMPLETED 3000: answered %d; %s captured %d", code, got.Status, got.Captured)
	// and a poll
	got, err = o.eng.Poll(ctx, p.ID)
	t.Logf("poll: %v; %s captured %d", err, got.Status, got.Captured)
}

func (f *xPayU) get(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.bodies[key])
}

// ip_allowlist: PayU's published production addresses only, the sender
// resolved through trusted proxies only.
func TestOutsideIPAllowlist(t *testing.T) {
	t.Parallel()
	o := newOutside(t, func(c *payu.Config) { c.IPAllowlist = true }, netip.MustParsePrefix("127.0.0.0/8"))
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	send := func(xff string) int {
		req, _ := http.NewRequest(http.MethodPost, o.fake.order(id).Notify, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("OpenPayu-Signature", signPayU(b, fakeKey, "MD5"))
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		xff  string
		want int
	}{{"", 403}, {"185.68.14.10", 403}, {"185.68.12.10, 203.0.113.9", 403}, {"203.0.113.9, 185.68.12.27", 200}} {
		if got := send(tc.xff); got != tc.want {
			t.Errorf("X-Forwarded-For %q: %d, want %d", tc.xff, got, tc.want)
		}
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid {
		t.Errorf("status %s", got.Status)
	}
}

// A refund's notification is lost: the pending refund is looked up in the
// order's refund list (the OpenAPI's bare array).
func TestOutsideLostRefundNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Operation.State != getpaid.OpPending {
		t.Fatalf("refund: %s", res.Operation.State)
	}
	o.fake.locked(func() { o.fake.refunds[id][0].Status = "FINALIZED" })
	if _, err := o.eng.CheckOperation(ctx, res.Operation.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, _ := o.eng.Operation(ctx, res.Operation.ID)
	got := o.payment(t, p.ID)
	if op.State != getpaid.OpSucceeded || got.Status != getpaid.StatusRefunded || got.Refunded != 10000 {
		t.Errorf("after the lookup: op %s; %s refunded %d", op.State, got.Status, got.Refunded)
	}
	// its notification, late: nothing twice
	rb := o.fake.refundNote(id, o.fake.refundsOf(id)[0], "FINALIZED")
	if code := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5")); code != 200 {
		t.Errorf("late FINALIZED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Refunded != 10000 {
		t.Errorf("after the late notification: refunded %d", got.Refunded)
	}
}

// A notification found by PayU's orderId alone (no extOrderId in it).
func TestOutsideNotificationWithoutExtOrderID(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := bytes.Replace(o.fake.orderNote(id, "COMPLETED", ""), []byte(`"extOrderId":"`+p.ID+`",`), nil, 1)
	if bytes.Contains(b, []byte("extOrderId")) {
		t.Fatal("extOrderId still there")
	}
	code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got := o.payment(t, p.ID)
	t.Logf("answered %d; %s", code, got.Status)
	if code != 200 || got.Status != getpaid.StatusPaid {
		t.Errorf("answered %d; %s", code, got.Status)
	}
}

// Twenty payments at once share one token.
func TestOutsideConcurrentToken(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: fmt.Sprint("c-", i), Backend: "payu",
				Amount: getpaid.MustParseMoney("1.00", "PLN"), Description: "x", ClientIP: "203.0.113.7"})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Errorf("%d token fetches for 20 concurrent creates", n)
	}
}

// A partial capture PayU carried out whose answer was lost: in doubt, then
// settled from the order's status.
func TestOutsideCaptureInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		amount  string // "" = the whole hold
		stated  string // the totalAmount PayU's retrieve states after it
		wantCap int64
	}{
		{"whole", "", "", 10000},
		{"part, total restated as captured", "30.00", "3000", 3000},
		{"part, total kept as ordered", "30.00", "", 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOutside(t, nil)
			p, id := o.pay(t, "100.00")
			o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
			b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
			o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
			o.fake.locked(func() { o.fake.lose = map[string]bool{"POST /api/v2_1/orders/" + id + "/captures": true} })
			req := getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"}
			if tc.amount != "" {
				m := getpaid.MustParseMoney(tc.amount, "PLN")
				req.Amount = &m
			}
			_, err := o.eng.Capture(ctx, req)
			ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
			if len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
				t.Fatalf("capture with its answer lost: %v, %+v", err, ops.Operations)
			}
			if tc.stated != "" {
				o.fake.locked(func() { o.fake.orders[id].Total = tc.stated })
			}
			o.eng.CheckOperation(ctx, ops.Operations[0].ID)
			if _, err := o.eng.Reconcile(ctx, 10); err != nil {
				t.Fatal(err)
			}
			op, _ := o.eng.Operation(ctx, ops.Operations[0].ID)
			got := o.payment(t, p.ID)
			if op.State != getpaid.OpSucceeded || got.Captured != tc.wantCap || got.Locked != 0 {
				t.Errorf("after the check: op %s; %s captured %d locked %d", op.State, got.Status, got.Captured, got.Locked)
			}
			if n := o.fake.called("POST /api/v2_1/orders/" + id + "/captures"); n != 1 {
				t.Errorf("captured %d times", n)
			}
		})
	}
}

// The partial capture's answer is lost and PayU's COMPLETED, stating the
// order's whole totalAmount, comes before the reconciler's check.
func TestOutsideCompletedOvertakesPartialCaptureInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	o.fake.locked(func() { o.fake.lose = map[string]bool{"POST /api/v2_1/orders/" + id + "/captures": true} })
	amt := getpaid.MustParseMoney("30.00", "PLN")
	o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "c"})
	b = o.fake.orderNote(id, "COMPLETED", "")
	if code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); code != 200 {
		t.Errorf("COMPLETED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Captured != 3000 || got.Locked != 0 {
		t.Errorf("after COMPLETED 10000 with a capture of 30.00 in doubt: %s captured %d locked %d", got.Status, got.Captured, got.Locked)
	}
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	o.eng.CheckOperation(ctx, ops.Operations[0].ID)
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, _ := o.eng.Operation(ctx, ops.Operations[0].ID)
	if got := o.payment(t, p.ID); op.State != getpaid.OpSucceeded || got.Captured != 3000 || got.Status != getpaid.StatusPartiallyPaid {
		t.Errorf("after the check: op %s; %s captured %d", op.State, got.Status, got.Captured)
	}
}

func TestOutsideCreateAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code int
		sc   string
	}{{http.StatusCreated, "SUCCESS"}, {http.StatusFound, "WARNING_CONTINUE_REDIRECT"}, {http.StatusCreated, "WARNING_CONTINUE_3DS"}} {
		o := newOutside(t, nil)
		o.fake.locked(func() { o.fake.createdCode, o.fake.createdAs = tc.code, tc.sc })
		p, id := o.pay(t, "10.00")
		if p.Status != getpaid.StatusPrepared || p.ExternalID != id {
			t.Errorf("%d %s: %s %s", tc.code, tc.sc, p.Status, p.ExternalID)
		}
	}
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders"] = http.StatusTooManyRequests })
	_, err := o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-429", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if !errorsAs(err, &be) || !be.Retryable {
		t.Errorf("create on 429: %v", err)
	}
}

// Cancel of an unpaid order: DELETE, then PayU's CANCELED changes nothing more.
func TestOutsideCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	res, err := o.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment.Status != getpaid.StatusCancelled || o.fake.called("DELETE /api/v2_1/orders/"+id) != 1 {
		t.Errorf("cancel: %s, calls %v", res.Payment.Status, o.fake.callList())
	}
	b := o.fake.orderNote(id, "CANCELED", "")
	if code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); code != 200 {
		t.Errorf("CANCELED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusCancelled {
		t.Errorf("after CANCELED: %s", got.Status)
	}
}
