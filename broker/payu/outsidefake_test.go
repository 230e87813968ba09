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
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
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
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
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

func errorsAs(err error, target any) bool { return errors.As(err, target) }

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

func (f *xPayU) get(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.bodies[key])
}

// held pays amount and has PayU hold it (WAITING_FOR_CONFIRMATION, notified).
func (o *outside) held(t *testing.T, amount string) (*getpaid.Payment, string) {
	t.Helper()
	p, id := o.pay(t, amount)
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	b := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Fatalf("hold answered %d", got)
	}
	return p, id
}
