package payu_test

// An independent fake of PayU written from PayU's public documentation
// (developers.payu.com: "Create a new order", "Retrieve an order",
// "Refunds", "Notifications"; PayU's OpenAPI "PayU GPO Europe REST API"
// 2.1.0; brokers.md §1), not from payutest: it checks the requests getpaid
// sends as PayU documents them and answers with the documented bodies,
// including the variants the documentation allows (302 or 201, extra fields).

import (
	"context"
	"crypto/md5"
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
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
)

const (
	specPos    = "300746"
	specSecret = "2ee86a66e5d97e3fadc400c9f19b065d"
	specKey    = "b6ca15b0d1020e8094d9b5f8d163db54"
	specOrder  = "WZGF5FFDRJ140731GUEST000P01"
	specToken  = "87ad751f-7ea5-4023-a16f-04b6647a07f5"
)

// specPayU is the fake. created selects the create-order answer: 302 (the
// documented redirect answer) or 201.
type specPayU struct {
	t       *testing.T
	created int
	mu      sync.Mutex
	order   map[string]any // the last create-order body
	refund  map[string]any // the last refund body
	status  string         // the order's status, as retrieve answers it
}

func (f *specPayU) fail(w http.ResponseWriter, format string, a ...any) {
	f.t.Errorf("spec fake: "+format, a...)
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, `{"status":{"statusCode":"ERROR_SYNTAX","severity":"ERROR","statusDesc":"bad request"}}`)
}

func (f *specPayU) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/pl/standard/user/oauth/authorize" {
		// OAuth: POST, form-encoded client_credentials.
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			f.fail(w, "oauth: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != specPos || r.PostForm.Get("client_secret") != specSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"Bad client credentials"}`)
			f.t.Errorf("spec fake: oauth form %v", r.PostForm)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"%s","token_type":"bearer","expires_in":43199,"grant_type":"client_credentials"}`, specToken)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+specToken {
		w.WriteHeader(http.StatusUnauthorized)
		f.t.Errorf("spec fake: %s %s without the bearer token: %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2_1/orders":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			f.fail(w, "create order: %v, Content-Type %q", err, r.Header.Get("Content-Type"))
			return
		}
		f.mu.Lock()
		f.order = body
		f.mu.Unlock()
		redirect := "https://merch-prod.snd.payu.com/pay/?orderId=" + specOrder + "&token=eyJhbGciOiJIUzI1NiJ9"
		if f.created == http.StatusFound {
			w.Header().Set("Location", redirect)
		}
		w.WriteHeader(f.created)
		_, _ = fmt.Fprintf(w, `{"status":{"statusCode":"SUCCESS"},"redirectUri":%q,"orderId":%q,"extOrderId":%q,"iframeAllowed":true,"threeDsProtocolVersion":"3DS2"}`,
			redirect, specOrder, body["extOrderId"])
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2_1/orders/"+specOrder:
		f.mu.Lock()
		o, st := f.order, f.status
		f.mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"orders":[{"orderId":%q,"extOrderId":%q,"orderCreateDate":"2014-10-27T14:58:17.443+01:00","notifyUrl":%q,"customerIp":"127.0.0.1","merchantPosId":%q,"description":"RTV market","currencyCode":%q,"totalAmount":%q,"status":%q,"products":[{"name":"Wireless mouse","unitPrice":%q,"quantity":"1"}]}],"status":{"statusCode":"SUCCESS","statusDesc":"Request processing successful"},"properties":[{"name":"PAYMENT_ID","value":"1234567890"}]}`,
			specOrder, o["extOrderId"], o["notifyUrl"], specPos, o["currencyCode"], o["totalAmount"], st, o["totalAmount"])
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2_1/orders/"+specOrder+"/refunds":
		var body map[string]map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.fail(w, "refund: %v", err)
			return
		}
		rf := body["refund"]
		f.mu.Lock()
		f.refund = rf
		f.mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"orderId":%q,"refund":{"refundId":"5000009987","extRefundId":%q,"amount":%q,"currencyCode":%q,"description":%q,"creationDateTime":"2020-07-02T09:19:03.896+02:00","status":"PENDING","statusDateTime":"2020-07-02T09:19:04.013+02:00"},"status":{"statusCode":"SUCCESS","statusDesc":"Refund queued for processing"}}`,
			specOrder, rf["extRefundId"], rf["amount"], rf["currencyCode"], rf["description"])
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2_1/orders/"+specOrder+"/refunds":
		// The OpenAPI's refundRetrieveFinalized example: its amount is
		// written as a number (example: 10000) though typed string.
		_, _ = io.WriteString(w, `[{"refundId":"5000000142","extRefundId":"op_refund_1","amount":10000,"description":"Refund for order","creationDateTime":"2020-07-02T09:19:03.896+02:00","currencyCode":"PLN","statusDatetime":"2020-07-02T09:19:04.016+02:00","status":"FINALIZED"}]`)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"status":{"statusCode":"DATA_NOT_FOUND","severity":"INFO"}}`)
		f.t.Errorf("spec fake: unexpected %s %s", r.Method, r.URL.Path)
	}
}

// specNotify signs body as PayU does (MD5 of body ‖ second key) in the
// header PayU documents.
func specNotify(body string) *getpaid.CallbackRequest {
	sum := md5.Sum([]byte(body + specKey))
	h := http.Header{}
	h.Set("OpenPayu-Signature", "sender=checkout;signature="+hex.EncodeToString(sum[:])+";algorithm=MD5;content=DOCUMENT")
	h.Set("Content-Type", "application/json;charset=UTF-8")
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: []byte(body)}
}

// specOrderNotification is the documented COMPLETED notification body with
// this payment's ids and amount.
func specOrderNotification(extOrderID, amount, status string) string {
	return `{"order":{"orderId":"` + specOrder + `","extOrderId":"` + extOrderID + `","orderCreateDate":"2012-12-31T12:00:00","notifyUrl":"http://tempuri.org/notify","customerIp":"127.0.0.1","merchantPosId":"` + specPos + `","description":"My order description","currencyCode":"PLN","totalAmount":"` + amount + `","buyer":{"email":"john.doe@example.org","phone":"111111111","firstName":"John","lastName":"Doe","language":"en"},"payMethod":{"type":"PBL"},"products":[{"name":"Product 1","unitPrice":"` + amount + `","quantity":"1"}],"status":"` + status + `"},"localReceiptDateTime":"2016-03-02T12:58:14.828+01:00","properties":[{"name":"PAYMENT_ID","value":"151471228"}]}`
}

func specEngine(t *testing.T, f *specPayU) *engine.Engine {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	b, err := payu.New(payu.Config{PosID: specPos, SecondKey: specKey, ClientID: specPos, ClientSecret: specSecret, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return brokertest.NewEngine(t, "https://shop.example/payments", getpaid.Backend{Name: "payu_pln", Kind: "payu", Broker: b})
}

func TestSpecFakeFlow(t *testing.T) {
	t.Parallel()
	for _, created := range []int{http.StatusFound, http.StatusCreated, http.StatusOK} {
		t.Run(fmt.Sprint(created), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := &specPayU{t: t, created: created, status: "PENDING"}
			e := specEngine(t, f)
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "payu_pln", Amount: getpaid.MustParseMoney("210.50", "PLN"),
				Description: "RTV market", Buyer: getpaid.Buyer{Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", Language: "pl"},
				ClientIP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if p.ExternalID != specOrder || p.Redirect == nil || !strings.HasPrefix(p.Redirect.URL, "https://merch-prod.snd.payu.com/pay/") {
				t.Fatalf("prepared %q %+v", p.ExternalID, p.Redirect)
			}
			f.mu.Lock()
			o := f.order
			f.mu.Unlock()
			want := map[string]any{
				"notifyUrl": "https://shop.example/payments/callback/payu_pln", "continueUrl": "https://shop.example/payments/success/" + p.ID,
				"customerIp": "203.0.113.7", "merchantPosId": specPos, "currencyCode": "PLN", "totalAmount": "21050",
				"extOrderId": p.ID, "description": "RTV market",
			}
			for k, v := range want {
				if o[k] != v {
					t.Errorf("create order %s = %#v, want %#v", k, o[k], v)
				}
			}
			prods, _ := o["products"].([]any)
			if len(prods) == 0 {
				t.Fatalf("no products: %#v", o)
			}
			for _, pr := range prods {
				m := pr.(map[string]any)
				if _, ok := m["name"].(string); !ok || m["unitPrice"] != "21050" || m["quantity"] != "1" {
					t.Errorf("product %#v: want name, unitPrice and quantity as strings", m)
				}
			}
			if b, ok := o["buyer"].(map[string]any); !ok || b["email"] != "john.doe@example.com" || b["language"] != "pl" {
				t.Errorf("buyer %#v", o["buyer"])
			}

			// A tampered notification changes nothing.
			good := specNotify(specOrderNotification(p.ID, "21050", "COMPLETED"))
			bad := *good
			bad.Body = []byte(strings.Replace(string(good.Body), `"totalAmount":"21050"`, `"totalAmount":"21051"`, 1))
			if _, err := e.HandleCallback(ctx, "payu_pln", &bad); !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("tampered notification: %v", err)
			}
			if got, _ := e.Payment(ctx, p.ID); got.Status != p.Status {
				t.Fatalf("tampered notification changed the payment: %s", got.Status)
			}
			// The documented notification, twice: paid once.
			for range 2 {
				if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(specOrderNotification(p.ID, "21050", "COMPLETED"))); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := e.Payment(ctx, p.ID)
			if got.Status != getpaid.StatusPaid || got.Captured != 21050 {
				t.Fatalf("after COMPLETED: %s captured %d", got.Status, got.Captured)
			}

			// Refund of part: the documented request, answered PENDING.
			amt := getpaid.MustParseMoney("10.00", "PLN")
			res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt})
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			rf := f.refund
			f.mu.Unlock()
			if rf["amount"] != "1000" || rf["currencyCode"] != "PLN" || rf["extRefundId"] != res.Operation.ID {
				t.Errorf("refund body %#v (operation %s)", rf, res.Operation.ID)
			}
			if d, ok := rf["description"].(string); !ok || d == "" {
				t.Errorf("refund description (required) %#v", rf["description"])
			}
			// The documented refund notification (no extRefundId in it).
			refundNote := `{"orderId":"` + specOrder + `","extOrderId":"` + p.ID + `","refund":{"refundId":"5000009987","amount":"1000","currencyCode":"PLN","status":"FINALIZED","statusDateTime":"2014-08-20T19:43:50.222+02:00","reason":"refund","reasonDescription":"on customer’s request","refundDate":"2014-08-20T19:43:50.222+02:00"}}`
			for range 2 {
				if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(refundNote)); err != nil {
					t.Fatal(err)
				}
			}
			got, _ = e.Payment(ctx, p.ID)
			if got.Refunded != 1000 || got.Status != getpaid.StatusPartiallyRefunded {
				t.Fatalf("after refund notification: %s refunded %d", got.Status, got.Refunded)
			}
			op, err := e.Operation(ctx, res.Operation.ID)
			if err != nil || op.State != getpaid.OpSucceeded {
				t.Fatalf("refund operation: %+v %v", op, err)
			}
		})
	}
}

// TestSpecFakeStatuses polls the order in each documented status.
func TestSpecFakeStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		payu string
		want getpaid.Status
	}{
		{"PENDING", getpaid.StatusChargeStarted},
		{"WAITING_FOR_CONFIRMATION", getpaid.StatusPreAuth},
		{"COMPLETED", getpaid.StatusPaid},
		{"CANCELED", getpaid.StatusFailed},
	} {
		t.Run(tc.payu, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := &specPayU{t: t, created: http.StatusFound, status: tc.payu}
			e := specEngine(t, f)
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "payu_pln", Amount: getpaid.MustParseMoney("1.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Poll(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Fatalf("poll of %s: %s, want %s", tc.payu, got.Status, tc.want)
			}
			// The same status notified is accepted and changes nothing more.
			if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(specOrderNotification(p.ID, "100", tc.payu))); err != nil {
				t.Fatal(err)
			}
			if again, _ := e.Payment(ctx, p.ID); again.Status != tc.want {
				t.Fatalf("after the notification: %s", again.Status)
			}
		})
	}
}

// TestSpecFakeRefundListNumericAmount looks a refund up in the list PayU's
// OpenAPI shows for GET /api/v2_1/orders/{orderId}/refunds, whose example
// writes amount as a number.
func TestSpecFakeRefundListNumericAmount(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&specPayU{t: t, created: http.StatusFound})
	t.Cleanup(srv.Close)
	b, err := payu.New(payu.Config{PosID: specPos, SecondKey: specKey, ClientID: specPos, ClientSecret: specSecret, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: "pay_1", Backend: "payu", Status: getpaid.StatusPaid, Amount: getpaid.MustParseMoney("210.50", "PLN"),
		Captured: 21050, ExternalID: specOrder}
	o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
		Operation: &getpaid.Operation{ID: "op_refund_1", PaymentID: p.ID, Kind: getpaid.OpRefund, Amount: getpaid.MustParseMoney("100.00", "PLN")}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindRefunded || o.Amount != getpaid.MustParseMoney("100.00", "PLN") || o.BrokerRef != "5000000142" {
		t.Fatalf("refund lookup: %+v", o)
	}
}

// TestSpecFakeRefundCanceled: the documented refund notification with status
// CANCELED gives the money back to what can be refunded.
func TestSpecFakeRefundCanceled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &specPayU{t: t, created: http.StatusFound, status: "COMPLETED"}
	e := specEngine(t, f)
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "payu_pln", Amount: getpaid.MustParseMoney("155.16", "PLN"), Buyer: getpaid.Buyer{Email: "a@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(specOrderNotification(p.ID, "15516", "COMPLETED"))); err != nil {
		t.Fatal(err)
	}
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	note := `{"orderId":"` + specOrder + `","extOrderId":"` + p.ID + `","refund":{"refundId":"5000009987","amount":"15516","currencyCode":"PLN","status":"CANCELED","statusDateTime":"2014-08-20T19:43:50.222+02:00","reason":"refund","reasonDescription":"on customer’s request","refundDate":"2014-08-20T19:43:50.222+02:00"}}`
	if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(note)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusPaid || got.Refunded != 0 || got.RefundAsked != 0 {
		t.Fatalf("after a canceled refund: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	if op, err := e.Operation(ctx, res.Operation.ID); err != nil || op.State != getpaid.OpFailed {
		t.Fatalf("refund operation: %+v %v", op, err)
	}
}
