package przelewy24_test

// An outside reviewer's fake Przelewy24, written from brokers.md §2 and
// Przelewy24's REST OpenAPI (api-evangelist/przelewy24,
// openapi/_original/openapi.yml and its examples) and the przelewy24-php SDK
// (mnastalski/przelewy24-php), not from this package or p24test: the
// backend is driven against it through the engine, so a rule the backend
// and its own simulator both got wrong shows here.

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
)

const (
	xMerchant = 11111
	xPos      = 22222 // differs from the merchant id: the Basic user and the signed posId must be the pos id
	xCRC      = "aef0aef0aef0aef0"
	xKey      = "reports-key-1"
)

// xSign is Przelewy24's sign: hex SHA-384 of json_encode of the ordered
// pairs with JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES (PHP escapes
// neither "/" nor non-ASCII nor <>&, and does escape U+2028/U+2029 and
// control characters), written here independently of the package.
func xSign(kv ...any) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(phpString(kv[i].(string)))
		b.WriteByte(':')
		switch v := kv[i+1].(type) {
		case string:
			b.WriteString(phpString(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			panic(fmt.Sprintf("xSign: %T", v))
		}
	}
	b.WriteByte('}')
	sum := sha512.Sum384(b.Bytes())
	return hex.EncodeToString(sum[:])
}

func phpString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0x2028, 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

type xTrn struct {
	Register  map[string]any
	Token     string
	SessionID string
	OrderID   int64
	Amount    int64 // registered
	Paid      int64 // what the buyer paid (0: not yet)
	Currency  string
	Status    int // lookup status: 0 none, 1 advance, 2 verified, 3 returned
	Notify    string
	Statement string
	Refunds   []xRefund
}

type xRefund struct {
	RequestID, Uuid, URL string
	Amount               int64
	Status               int // lookup: 1 completed, 2 pending, 3 awaiting, 4 rejected
}

// xP24 is the fake. Faults: verifyFail answers verify 400, verifyDown 500,
// verifyHang never answers in time; refundLost applies the refund and then
// drops the answer.
type xP24 struct {
	srv *httptest.Server

	mu         sync.Mutex
	trns       map[string]*xTrn // by sessionId
	next       int64
	calls      []string
	verifies   []map[string]any
	refunds    []map[string]any
	requests   map[string]bool // requestIds seen
	verifyFail bool
	verifyDown bool
	verifyHang bool
	refundLost bool
	lookupDown bool
}

func newXP24(t *testing.T) *xP24 {
	t.Helper()
	f := &xP24{trns: map[string]*xTrn{}, next: 300000000, requests: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func xJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *xP24) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/trnRequest/") {
		fmt.Fprintf(w, "<html>Przelewy24 %s</html>", strings.TrimPrefix(r.URL.Path, "/trnRequest/"))
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != strconv.Itoa(xPos) || p != xKey {
		xJSON(w, 401, map[string]any{"error": "Incorrect authentication", "code": 401})
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if len(body) > 0 {
		if err := dec.Decode(&in); err != nil {
			xJSON(w, 400, map[string]any{"error": "Invalid input data", "code": 400})
			return
		}
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/api/v1/transaction/register":
		f.register(w, in)
	case r.Method == "PUT" && r.URL.Path == "/api/v1/transaction/verify":
		f.verify(w, in)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/transaction/by/sessionId/"):
		f.lookup(w, strings.TrimPrefix(r.URL.Path, "/api/v1/transaction/by/sessionId/"))
	case r.Method == "POST" && r.URL.Path == "/api/v1/transaction/refund":
		f.refund(w, in)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/refund/by/orderId/"):
		f.refundLookup(w, strings.TrimPrefix(r.URL.Path, "/api/v1/refund/by/orderId/"))
	case r.Method == "GET" && r.URL.Path == "/api/v1/testAccess":
		xJSON(w, 200, map[string]any{"data": true, "error": ""})
	default:
		xJSON(w, 404, map[string]any{"error": "Not found", "code": 404})
	}
}

// num reads a JSON integer field strictly: a number, not a string.
func xNum(in map[string]any, k string) (int64, bool) {
	n, ok := in[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

func xStr(in map[string]any, k string) (string, bool) {
	s, ok := in[k].(string)
	return s, ok
}

func xBad(w http.ResponseWriter) {
	xJSON(w, 400, map[string]any{"error": "Invalid input data", "code": 400})
}

func (f *xP24) register(w http.ResponseWriter, in map[string]any) {
	merchant, ok1 := xNum(in, "merchantId")
	pos, ok2 := xNum(in, "posId")
	sid, ok3 := xStr(in, "sessionId")
	amount, ok4 := xNum(in, "amount")
	cur, ok5 := xStr(in, "currency")
	desc, ok6 := xStr(in, "description")
	email, ok7 := xStr(in, "email")
	country, ok8 := xStr(in, "country")
	lang, ok9 := xStr(in, "language")
	ret, ok10 := xStr(in, "urlReturn")
	sign, ok11 := xStr(in, "sign")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9 && ok10 && ok11) ||
		merchant != xMerchant || pos != xPos || len(sid) > 100 || len(desc) > 1024 || len(email) > 50 ||
		len(country) != 2 || len(lang) != 2 || len(ret) > 250 || amount <= 0 {
		xBad(w)
		return
	}
	if sign != xSign("sessionId", sid, "merchantId", xMerchant, "amount", amount, "currency", cur, "crc", xCRC) {
		xBad(w)
		return
	}
	notify, _ := xStr(in, "urlStatus")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	t := &xTrn{Register: in, Token: fmt.Sprintf("TOKEN-%d", f.next), SessionID: sid, OrderID: f.next, Amount: amount,
		Currency: cur, Notify: notify, Statement: "p24-A1-B2-C3"}
	f.trns[sid] = t
	xJSON(w, 200, map[string]any{"data": map[string]any{"token": t.Token}, "responseCode": 0})
}

func (f *xP24) verify(w http.ResponseWriter, in map[string]any) {
	f.mu.Lock()
	f.verifies = append(f.verifies, in)
	fail, down, hang := f.verifyFail, f.verifyDown, f.verifyHang
	f.mu.Unlock()
	if hang {
		time.Sleep(1500 * time.Millisecond) // past the backend's 1 s timeout
		return
	}
	if down {
		xJSON(w, 500, map[string]any{"error": "Undefined error", "code": 500})
		return
	}
	if fail {
		xBad(w)
		return
	}
	merchant, ok1 := xNum(in, "merchantId")
	pos, ok2 := xNum(in, "posId")
	sid, ok3 := xStr(in, "sessionId")
	amount, ok4 := xNum(in, "amount")
	cur, ok5 := xStr(in, "currency")
	order, ok6 := xNum(in, "orderId")
	sign, ok7 := xStr(in, "sign")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || merchant != xMerchant || pos != xPos {
		xBad(w)
		return
	}
	if sign != xSign("sessionId", sid, "orderId", order, "amount", amount, "currency", cur, "crc", xCRC) {
		xBad(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.trns[sid]
	if t == nil || t.OrderID != order || t.Paid != amount || t.Currency != cur || t.Status == 0 {
		xBad(w)
		return
	}
	if t.Status == 1 {
		t.Status = 2
	}
	xJSON(w, 200, map[string]any{"data": map[string]any{"status": "success"}, "responseCode": 0})
}

func (f *xP24) lookup(w http.ResponseWriter, sid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.trns[sid]
	if t == nil {
		xJSON(w, 404, map[string]any{"error": "Transaction not found", "responseCode": 0})
		return
	}
	amount := t.Amount
	if t.Paid > 0 {
		amount = t.Paid
	}
	xJSON(w, 200, map[string]any{"data": map[string]any{"statement": t.Statement, "orderId": t.OrderID,
		"sessionId": t.SessionID, "status": t.Status, "amount": amount, "currency": t.Currency,
		"date": "202612031200", "dateOfTransaction": "202612031201", "clientEmail": "buyer@example.com",
		"accountMD5": "", "paymentMethod": 25, "description": "Two mugs", "clientName": "", "clientAddress": "",
		"clientCity": "", "clientPostcode": "", "batchId": 0, "fee": "0"}, "responseCode": 0})
}

func (f *xP24) refund(w http.ResponseWriter, in map[string]any) {
	f.mu.Lock()
	f.refunds = append(f.refunds, in)
	f.mu.Unlock()
	rid, ok1 := xStr(in, "requestId")
	uuid, ok2 := xStr(in, "refundsUuid")
	list, ok3 := in["refunds"].([]any)
	if !ok1 || !ok2 || !ok3 || len(rid) > 45 || len(uuid) > 35 || len(list) == 0 {
		xBad(w)
		return
	}
	url, _ := xStr(in, "urlStatus")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests[rid] {
		xJSON(w, 400, map[string]any{"error": "Request already exists", "code": 400})
		return
	}
	var out, refused []map[string]any
	for _, it := range list {
		m, _ := it.(map[string]any)
		order, ok1 := xNum(m, "orderId")
		sid, ok2 := xStr(m, "sessionId")
		amount, ok3 := xNum(m, "amount")
		desc, _ := xStr(m, "description")
		if !ok1 || !ok2 || !ok3 || len([]rune(desc)) > 35 {
			xBad(w)
			return
		}
		t := f.trns[sid]
		item := map[string]any{"orderId": order, "sessionId": sid, "amount": amount, "description": desc}
		left := int64(0)
		if t != nil && t.OrderID == order && t.Status == 2 {
			left = t.Paid
			for _, rf := range t.Refunds {
				if rf.Status != 4 {
					left -= rf.Amount
				}
			}
		}
		if amount <= 0 || amount > left {
			item["status"], item["message"] = false, "The amount of refund exceeds available amount for the transaction"
			refused = append(refused, item)
			continue
		}
		item["status"], item["message"] = true, "success"
		out = append(out, item)
	}
	if len(refused) > 0 {
		xJSON(w, 409, map[string]any{"error": refused, "code": 409})
		return
	}
	f.requests[rid] = true
	for _, it := range out {
		t := f.trns[it["sessionId"].(string)]
		t.Refunds = append(t.Refunds, xRefund{RequestID: rid, Uuid: uuid, URL: url, Amount: it["amount"].(int64), Status: 2})
	}
	if f.refundLost {
		panic(http.ErrAbortHandler)
	}
	xJSON(w, 201, map[string]any{"data": out, "responseCode": 0})
}

func (f *xP24) refundLookup(w http.ResponseWriter, order string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lookupDown {
		xJSON(w, 500, map[string]any{"error": "Undefined error", "code": 500})
		return
	}
	for _, t := range f.trns {
		if strconv.FormatInt(t.OrderID, 10) != order || len(t.Refunds) == 0 {
			continue
		}
		var list []map[string]any
		for i, rf := range t.Refunds {
			list = append(list, map[string]any{"batchId": 900000 + i, "requestId": rf.RequestID,
				"date": "2026-12-03 12:00:00", "login": "api", "description": "refund", "status": rf.Status, "amount": rf.Amount})
		}
		xJSON(w, 200, map[string]any{"data": map[string]any{"orderId": t.OrderID, "sessionId": t.SessionID,
			"amount": t.Paid, "currency": t.Currency, "refunds": list}, "responseCode": 0})
		return
	}
	xJSON(w, 404, map[string]any{"error": "Refund with given Order Id not found", "code": 404})
}

func (f *xP24) trn(t *testing.T, sid string) *xTrn {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	tr := f.trns[sid]
	if tr == nil {
		t.Fatalf("no transaction registered for sessionId %s", sid)
	}
	return tr
}

// pay records the buyer paying amount (the registered one when 0) and
// returns the notification Przelewy24 sends, signed.
func (f *xP24) pay(t *testing.T, sid string, amount int64) []byte {
	t.Helper()
	f.mu.Lock()
	tr := f.trns[sid]
	if amount == 0 {
		amount = tr.Amount
	}
	tr.Paid, tr.Status = amount, 1
	f.mu.Unlock()
	return f.note(tr, xMerchant, xPos, amount, tr.Currency, xCRC)
}

func (f *xP24) note(tr *xTrn, merchant, pos int, amount int64, cur, crc string) []byte {
	b, _ := json.Marshal(map[string]any{"merchantId": merchant, "posId": pos, "sessionId": tr.SessionID,
		"amount": amount, "originAmount": tr.Amount, "currency": cur, "orderId": tr.OrderID, "methodId": 25,
		"statement": tr.Statement,
		"sign": xSign("merchantId", merchant, "posId", pos, "sessionId", tr.SessionID, "amount", amount,
			"originAmount", tr.Amount, "currency", cur, "orderId", tr.OrderID, "methodId", 25,
			"statement", tr.Statement, "crc", crc)})
	return b
}

// finishRefund completes (status 0) or rejects (1) the refund of requestId
// and returns its signed notification.
func (f *xP24) finishRefund(t *testing.T, sid, rid string, status int) ([]byte, string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	tr := f.trns[sid]
	for i := range tr.Refunds {
		rf := &tr.Refunds[i]
		if rf.RequestID != rid {
			continue
		}
		rf.Status = 1
		if status == 1 {
			rf.Status = 4
		}
		b, _ := json.Marshal(map[string]any{"orderId": tr.OrderID, "sessionId": tr.SessionID, "merchantId": xMerchant,
			"requestId": rf.RequestID, "refundsUuid": rf.Uuid, "amount": rf.Amount, "currency": tr.Currency,
			"timestamp": time.Now().Unix(), "status": status,
			"sign": xSign("orderId", tr.OrderID, "sessionId", tr.SessionID, "refundsUuid", rf.Uuid,
				"merchantId", xMerchant, "amount", rf.Amount, "currency", tr.Currency, "status", status, "crc", xCRC)})
		return b, rf.URL
	}
	t.Fatalf("no refund %s on %s", rid, sid)
	return nil, ""
}

func (f *xP24) post(t *testing.T, url string, body []byte) int {
	t.Helper()
	res, err := brokerhttp.Client(nil, 0, 0).Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (f *xP24) set(fn func(*xP24)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *xP24) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}

type xOutside struct {
	fake *xP24
	eng  *engine.Engine
	shop *httptest.Server
}

func newXOutside(t *testing.T, mod func(*przelewy24.Config)) *xOutside {
	t.Helper()
	fake := newXP24(t)
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux)
	t.Cleanup(shop.Close)
	cfg := przelewy24.Config{MerchantID: xMerchant, PosID: xPos, CRC: xCRC, APIKey: xKey, APIURL: fake.srv.URL,
		Timeout: time.Second}
	if mod != nil {
		mod(&cfg)
	}
	b, err := przelewy24.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "przelewy24", Title: "Przelewy24", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: shop.URL + "/payments"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	h, err := httpapi.New(httpapi.Config{Service: eng})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/payments/", http.StripPrefix("/payments", h))
	return &xOutside{fake: fake, eng: eng, shop: shop}
}

func (o *xOutside) create(t *testing.T, amount, currency, desc string) (*getpaid.Payment, error) {
	t.Helper()
	return o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "order-" + t.Name(), Backend: "przelewy24",
		Amount: getpaid.MustParseMoney(amount, currency), Description: desc,
		Buyer: getpaid.Buyer{Email: "buyer@example.com", FirstName: "Zażółć", LastName: "Gęślą"}, ClientIP: "203.0.113.7"})
}

// registered is a payment of 10.00 PLN registered at the fake.
func (o *xOutside) registered(t *testing.T) *getpaid.Payment {
	t.Helper()
	p, err := o.create(t, "10.00", "PLN", "x")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (o *xOutside) payment(t *testing.T, id string) *getpaid.Payment {
	t.Helper()
	p, err := o.eng.Payment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
