package przelewy24_test

// An independent fake of Przelewy24 written from its public REST API
// documentation (developers.przelewy24.pl; its OpenAPI "Przelewy24 REST API
// Documentation" 1.0.16: transaction/register, transaction/verify,
// transaction/by/sessionId, transaction/refund, Notification,
// RefundNotification, Calculating Sign; brokers.md §2), not from p24test: it
// checks what getpaid sends and answers with the documented bodies. Signs are
// computed here by hand from the documented field lists.

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
)

const (
	specMerchant = 11111
	specPos      = 22222 // a POS other than the merchant: Basic auth and posId use it
	specCRC      = "aef0aef0aef0aef0"
	specAPIKey   = "b5d2c1e0f9a8b7c6"
	specToken    = "D35CD73C0E-37C8B1-30E5CB-D0E5A5F7AA"
	specOrderID  = 316666231
)

// specSign is hex(SHA-384) of the compact JSON of the pairs, in order, as
// the documentation's "Calculating Sign" shows (values here need no escaping).
func specSign(pairs ...any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", pairs[i])
		switch v := pairs[i+1].(type) {
		case string:
			fmt.Fprintf(&b, "%q", v)
		default:
			fmt.Fprintf(&b, "%d", v)
		}
	}
	b.WriteByte('}')
	sum := sha512.Sum384([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

type specP24 struct {
	t        *testing.T
	mu       sync.Mutex
	register map[string]any
	verifies []map[string]any
	refund   map[string]any
	status   int // transaction/by/sessionId data.status
	// refuseItem answers a refund 201 whose item has status false
	// (TransactionRefund201Item.status: "Was refund attempt successful?").
	refuseItem bool
}

func (f *specP24) fail(w http.ResponseWriter, format string, a ...any) {
	f.t.Errorf("spec fake: "+format, a...)
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, `{"error":"Invalid input data","code":400}`)
}

// num reads a JSON number that must be an integer.
func num(m map[string]any, k string) (int64, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

func (f *specP24) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != fmt.Sprint(specPos) || pass != specAPIKey {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"Incorrect authentication","code":401}`)
		f.t.Errorf("spec fake: %s %s: basic auth %q:%q, want posId:apiKey", r.Method, r.URL.Path, user, pass)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	var body map[string]any
	if r.Method != http.MethodGet {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			f.fail(w, "%s %s: Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			return
		}
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			f.fail(w, "%s: %v", r.URL.Path, err)
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/transaction/register":
		mid, ok1 := num(body, "merchantId")
		pid, ok2 := num(body, "posId")
		amt, ok3 := num(body, "amount")
		sid, _ := body["sessionId"].(string)
		cur, _ := body["currency"].(string)
		if !ok1 || !ok2 || !ok3 || mid != specMerchant || pid != specPos {
			f.fail(w, "register: merchantId, posId, amount must be integers: %#v", body)
			return
		}
		for _, k := range []string{"sessionId", "currency", "description", "email", "country", "language", "urlReturn", "sign"} {
			if s, ok := body[k].(string); !ok || s == "" {
				f.fail(w, "register: %s must be a non-empty string: %#v", k, body[k])
				return
			}
		}
		if body["sign"] != specSign("sessionId", sid, "merchantId", mid, "amount", amt, "currency", cur, "crc", specCRC) {
			f.fail(w, "register: wrong sign")
			return
		}
		f.mu.Lock()
		f.register = body
		f.mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"data":{"token":%q},"responseCode":0}`, specToken)
	case r.Method == http.MethodPut && r.URL.Path == "/api/v1/transaction/verify":
		mid, ok1 := num(body, "merchantId")
		pid, ok2 := num(body, "posId")
		amt, ok3 := num(body, "amount")
		oid, ok4 := num(body, "orderId")
		sid, _ := body["sessionId"].(string)
		cur, _ := body["currency"].(string)
		if !ok1 || !ok2 || !ok3 || !ok4 || mid != specMerchant || pid != specPos {
			f.fail(w, "verify: integers expected: %#v", body)
			return
		}
		if body["sign"] != specSign("sessionId", sid, "orderId", oid, "amount", amt, "currency", cur, "crc", specCRC) {
			f.fail(w, "verify: wrong sign")
			return
		}
		f.mu.Lock()
		f.verifies = append(f.verifies, body)
		f.mu.Unlock()
		_, _ = io.WriteString(w, `{"data":{"status":"success"},"responseCode":0}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/transaction/by/sessionId/"):
		f.mu.Lock()
		reg, st := f.register, f.status
		f.mu.Unlock()
		sid := strings.TrimPrefix(r.URL.Path, "/api/v1/transaction/by/sessionId/")
		if reg == nil || reg["sessionId"] != sid {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"Transaction not found","code":404}`)
			return
		}
		// The documented answer: numbers where the schema has integers,
		// fee a string, responseCode written as 0.0 in the published example.
		_, _ = fmt.Fprintf(w, `{"data":{"statement":"p24-A1-B2-C3","orderId":%d,"sessionId":%q,"status":%d,"amount":%s,"currency":%q,"date":"2024-01-01 10:00:00","dateOfTransaction":"2024-01-01 10:01:00","clientEmail":"buyer@example.com","accountMD5":"","paymentMethod":25,"description":"desc","clientName":"Jan Kowalski","clientAddress":"","clientCity":"","clientPostcode":"","batchId":0,"fee":"0"},"responseCode":0.0}`,
			specOrderID, sid, st, reg["amount"], reg["currency"])
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/transaction/refund":
		f.mu.Lock()
		f.refund = body
		f.mu.Unlock()
		refunds, _ := body["refunds"].([]any)
		if len(refunds) != 1 {
			f.fail(w, "refund: refunds %#v", body["refunds"])
			return
		}
		it := refunds[0].(map[string]any)
		oid, ok1 := num(it, "orderId")
		amt, ok2 := num(it, "amount")
		if !ok1 || !ok2 {
			f.fail(w, "refund: orderId and amount must be integers: %#v", it)
			return
		}
		status, message := "true", "success"
		if f.refuseItem {
			status, message = "false", "The amount of refund exceeds available amount for the transaction"
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"data":[{"orderId":%d,"sessionId":%q,"amount":%d,"description":%q,"status":%s,"message":%q}],"responseCode":0}`,
			oid, it["sessionId"], amt, it["description"], status, message)
	default:
		w.WriteHeader(http.StatusNotFound)
		f.t.Errorf("spec fake: unexpected %s %s", r.Method, r.URL.Path)
	}
}

func specEngine(t *testing.T, f *specP24) *engine.Engine {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	b, err := przelewy24.New(przelewy24.Config{MerchantID: specMerchant, PosID: specPos, CRC: specCRC, APIKey: specAPIKey, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return brokertest.NewEngine(t, "https://shop.example/payments", getpaid.Backend{Name: "p24", Kind: "przelewy24", Broker: b})
}

func jsonCallback(body string) *getpaid.CallbackRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: []byte(body), RemoteIP: "5.252.202.254"}
}

// specNotification is the documented transaction notification.
func specNotification(sessionID string, amount, origin int64) string {
	sign := specSign("merchantId", specMerchant, "posId", specPos, "sessionId", sessionID, "amount", amount,
		"originAmount", origin, "currency", "PLN", "orderId", specOrderID, "methodId", 25, "statement", "p24-A1-B2-C3", "crc", specCRC)
	return fmt.Sprintf(`{"merchantId":%d,"posId":%d,"sessionId":%q,"amount":%d,"originAmount":%d,"currency":"PLN","orderId":%d,"methodId":25,"statement":"p24-A1-B2-C3","sign":%q}`,
		specMerchant, specPos, sessionID, amount, origin, specOrderID, sign)
}

func TestSpecFakeFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &specP24{t: t, status: 2}
	e := specEngine(t, f)
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "p24", Amount: getpaid.MustParseMoney("123.45", "PLN"),
		Description: "Zamówienie 1/2", Buyer: getpaid.Buyer{Email: "buyer@example.com", FirstName: "Jan", LastName: "Kowalski"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Redirect == nil || !strings.HasSuffix(p.Redirect.URL, "/trnRequest/"+specToken) || p.Redirect.Method != http.MethodGet {
		t.Fatalf("redirect %+v", p.Redirect)
	}
	f.mu.Lock()
	reg := f.register
	f.mu.Unlock()
	if reg["urlReturn"] != "https://shop.example/payments/success/"+p.ID || reg["urlStatus"] != "https://shop.example/payments/callback/p24" ||
		reg["sessionId"] != p.ID || reg["amount"] != json.Number("12345") || reg["currency"] != "PLN" || reg["email"] != "buyer@example.com" {
		t.Errorf("register body %#v", reg)
	}

	// Tampered notifications change nothing and call no verify.
	good := specNotification(p.ID, 12345, 12345)
	for _, bad := range []string{
		strings.Replace(good, `"amount":12345`, `"amount":12346`, 1),
		strings.Replace(good, `"statement":"p24-A1-B2-C3"`, `"statement":"p24-X"`, 1),
		strings.Replace(good, fmt.Sprintf(`"orderId":%d`, specOrderID), `"orderId":1`, 1),
	} {
		if _, err := e.HandleCallback(ctx, "p24", jsonCallback(bad)); !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Fatalf("tampered notification: %v", err)
		}
	}
	if got, _ := e.Payment(ctx, p.ID); got.Status != getpaid.StatusPrepared || len(f.verifies) != 0 {
		t.Fatalf("tampered notifications: %s, %d verify calls", got.Status, len(f.verifies))
	}
	// The documented notification: verified, paid; a repeat counts nothing twice.
	for range 2 {
		if _, err := e.HandleCallback(ctx, "p24", jsonCallback(good)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := e.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusPaid || got.Captured != 12345 || got.ExternalID != fmt.Sprint(specOrderID) {
		t.Fatalf("after notification: %s captured %d ext %q", got.Status, got.Captured, got.ExternalID)
	}
	f.mu.Lock()
	if len(f.verifies) == 0 {
		t.Fatal("no transaction/verify call")
	}
	v := f.verifies[0]
	f.mu.Unlock()
	if v["sessionId"] != p.ID || v["amount"] != json.Number("12345") || v["orderId"] != json.Number(fmt.Sprint(specOrderID)) || v["currency"] != "PLN" {
		t.Errorf("verify body %#v", v)
	}
	// A poll of the verified transaction (the documented answer) keeps it paid.
	if got, err := e.Poll(ctx, p.ID); err != nil || got.Status != getpaid.StatusPaid || got.Captured != 12345 {
		t.Fatalf("poll: %v %+v", err, got)
	}

	// A partial refund, then its documented notification (twice).
	amt := getpaid.MustParseMoney("23.45", "PLN")
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	rf := f.refund
	f.mu.Unlock()
	reqID, _ := rf["requestId"].(string)
	uuid, _ := rf["refundsUuid"].(string)
	if reqID == "" || len(reqID) > 45 || uuid == "" || len(uuid) > 35 || rf["urlStatus"] != "https://shop.example/payments/callback/p24" {
		t.Fatalf("refund body %#v", rf)
	}
	it := rf["refunds"].([]any)[0].(map[string]any)
	if it["orderId"] != json.Number(fmt.Sprint(specOrderID)) || it["sessionId"] != p.ID || it["amount"] != json.Number("2345") {
		t.Errorf("refund item %#v", it)
	}
	if d, _ := it["description"].(string); d == "" || len([]rune(d)) > 35 {
		t.Errorf("refund description %q", d)
	}
	sign := specSign("orderId", specOrderID, "sessionId", p.ID, "refundsUuid", uuid, "merchantId", specMerchant,
		"amount", 2345, "currency", "PLN", "status", 0, "crc", specCRC)
	note := fmt.Sprintf(`{"orderId":%d,"sessionId":%q,"merchantId":%d,"requestId":%q,"refundsUuid":%q,"amount":2345,"currency":"PLN","timestamp":1704103200,"status":0,"sign":%q}`,
		specOrderID, p.ID, specMerchant, reqID, uuid, sign)
	if _, err := e.HandleCallback(ctx, "p24", jsonCallback(strings.Replace(note, `"amount":2345`, `"amount":12345`, 1))); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("tampered refund notification: %v", err)
	}
	for range 2 {
		if _, err := e.HandleCallback(ctx, "p24", jsonCallback(note)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = e.Payment(ctx, p.ID)
	if got.Refunded != 2345 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("after refund notification: %s refunded %d", got.Status, got.Refunded)
	}
	if op, err := e.Operation(ctx, res.Operation.ID); err != nil || op.State != getpaid.OpSucceeded {
		t.Fatalf("refund operation: %+v %v", op, err)
	}
}

// TestSpecFakePoll maps each documented data.status of the lookup when no
// notification came.
func TestSpecFakePoll(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   getpaid.Status
		verify bool
	}{
		{0, getpaid.StatusPrepared, false},
		{1, getpaid.StatusPaid, true}, // paid, not verified: getpaid verifies it
		{2, getpaid.StatusPaid, false},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := &specP24{t: t, status: tc.status}
			e := specEngine(t, f)
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "p24", Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Poll(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			verified := len(f.verifies) > 0
			f.mu.Unlock()
			if got.Status != tc.want || verified != tc.verify {
				t.Fatalf("status %d: %s, verify called %v", tc.status, got.Status, verified)
			}
		})
	}
}

// TestSpecFakeRefundItemRefused: a 201 whose only item says the refund
// attempt was not successful (status false) is a refusal: the payment keeps
// its money and no refund is reported started.
func TestSpecFakeRefundItemRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &specP24{t: t, status: 2, refuseItem: true}
	e := specEngine(t, f)
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "p24", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.HandleCallback(ctx, "p24", jsonCallback(specNotification(p.ID, 1000, 1000))); err != nil {
		t.Fatal(err)
	}
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err == nil {
		t.Fatalf("refund answered with an unsuccessful item was reported started: %+v", res.Payment)
	}
	if !strings.Contains(err.Error(), "exceeds available amount") {
		t.Errorf("error does not carry Przelewy24's message: %v", err)
	}
	got, _ := e.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusPaid || got.Refunded != 0 || got.RefundAsked != 0 {
		t.Fatalf("after a refused refund: %s refunded %d refund asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
}

// TestSpecFakeRefundRejected: the documented refund notification with status
// 1 (rejected) gives the money back to what can be refunded.
func TestSpecFakeRefundRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &specP24{t: t, status: 2}
	e := specEngine(t, f)
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "p24", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.HandleCallback(ctx, "p24", jsonCallback(specNotification(p.ID, 1000, 1000))); err != nil {
		t.Fatal(err)
	}
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	uuid, _ := f.refund["refundsUuid"].(string)
	reqID, _ := f.refund["requestId"].(string)
	f.mu.Unlock()
	sign := specSign("orderId", specOrderID, "sessionId", p.ID, "refundsUuid", uuid, "merchantId", specMerchant,
		"amount", 1000, "currency", "PLN", "status", 1, "crc", specCRC)
	note := fmt.Sprintf(`{"orderId":%d,"sessionId":%q,"merchantId":%d,"requestId":%q,"refundsUuid":%q,"amount":1000,"currency":"PLN","timestamp":1704103200,"status":1,"sign":%q}`,
		specOrderID, p.ID, specMerchant, reqID, uuid, sign)
	if _, err := e.HandleCallback(ctx, "p24", jsonCallback(note)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusPaid || got.Refunded != 0 || got.RefundAsked != 0 {
		t.Fatalf("after a rejected refund: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	if op, err := e.Operation(ctx, res.Operation.ID); err != nil || op.State != getpaid.OpFailed {
		t.Fatalf("refund operation: %+v %v", op, err)
	}
}
