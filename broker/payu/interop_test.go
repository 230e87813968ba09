package payu_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// fakePayU is a minimal PayU written from the documentation alone, not the
// simulator: an OAuth endpoint and whatever the test answers to API calls.
func fakePayU(t *testing.T, api http.HandlerFunc) *payu.Broker {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pl/standard/user/oauth/authorize" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"3e5cac39-7e38-4139-8fd6-30adc06a61bd","token_type":"bearer","expires_in":43199,"grant_type":"client_credentials"}`)
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	b, err := payu.New(payu.Config{PosID: "145227", SecondKey: "13a980d4f851f3d9a1cfc792fb1f5e50", ClientID: "145227",
		ClientSecret: "12f071174cb7eb79d4aac5bc2f07563f", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("payu", "https://shop.example", nil)); err != nil {
		t.Fatal(err)
	}
	return b
}

// An order created for a card payment may answer WARNING_CONTINUE_3DS (or
// WARNING_CONTINUE_CVV) with a redirectUri: the order exists and the buyer
// continues at redirectUri (openpayu_php OpenPayU_Util::statusDesc: "3DS
// authorization required. Redirect the Buyer to PayU to continue the 3DS
// process"). Such an answer is not a failure.
func TestCreateOrderWarningStatusesRedirect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status string
		code   int
		ok     bool
	}{
		{"SUCCESS", http.StatusFound, true},
		{"SUCCESS", http.StatusCreated, true},
		{"WARNING_CONTINUE_REDIRECT", http.StatusFound, true},
		{"WARNING_CONTINUE_3DS", http.StatusCreated, true},
		{"WARNING_CONTINUE_3DS", http.StatusFound, true},
		{"WARNING_CONTINUE_CVV", http.StatusCreated, true},
		{"ERROR_VALUE_INVALID", http.StatusBadRequest, false},
		{"BUSINESS_ERROR", http.StatusOK, false},
	} {
		t.Run(tc.status+"/"+http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()
			const redirect = "https://secure.payu.com/pay/?orderId=WZHF5FFDRJ140731GUEST000P01&token=x"
			b := fakePayU(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/api/v2_1/orders" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.code)
				_, _ = io.WriteString(w, `{"status":{"statusCode":"`+tc.status+`"},"redirectUri":"`+redirect+
					`","orderId":"WZHF5FFDRJ140731GUEST000P01","extOrderId":"pay_1"}`)
			})
			p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN")}
			pr, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), tc.status) {
					t.Fatalf("err = %v, want a refusal naming %s", err, tc.status)
				}
				return
			}
			if err != nil || pr.ExternalID != "WZHF5FFDRJ140731GUEST000P01" || pr.Redirect.URL != redirect || pr.Redirect.Method != http.MethodGet {
				t.Fatalf("got %+v, %v", pr, err)
			}
		})
	}
}

// PayU's reference lists Content-Type: application/json as a required
// header of every API call, GET included, and the official SDK
// (openpayu_php OpenPayU_HttpCurl) sends it on every request.
func TestAPICallsCarryJSONContentType(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]string{}
	b := fakePayU(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = r.Header.Get("Content-Type")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/refunds"):
			_, _ = io.WriteString(w, `{"refunds":[]}`)
		case r.Method == http.MethodGet:
			_, _ = io.WriteString(w, `{"orders":[{"orderId":"ORDER","extOrderId":"pay_1","currencyCode":"PLN","totalAmount":"1000","status":"PENDING"}],"status":{"statusCode":"SUCCESS"}}`)
		default:
			_, _ = io.WriteString(w, `{"orderId":"ORDER","status":{"statusCode":"SUCCESS"}}`)
		}
	})
	ctx := context.Background()
	p := &getpaid.Payment{ID: "pay_1", ExternalID: "ORDER", Status: getpaid.StatusPreAuth, Amount: getpaid.MustParseMoney("10.00", "PLN"), Locked: 1000}
	if _, err := b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p}); err != nil {
		t.Fatal(err)
	}
	_, _ = b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_1", p.Money(100))})
	if _, err := b.Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: "op_2"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, key := range []string{"GET /api/v2_1/orders/ORDER", "GET /api/v2_1/orders/ORDER/refunds", "DELETE /api/v2_1/orders/ORDER"} {
		if ct, ok := seen[key]; !ok || !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q (sent: %v), want application/json", key, ct, ok)
		}
	}
}

// A PayU that answers the captures endpoint with 404 or 405 (one that only
// knows the status update, PUT .../status {"orderStatus":"COMPLETED"}, which
// PayU's reference still lists) gets the whole hold captured through the
// status update; nothing had happened at the first 404.
func TestCaptureFallsBackToStatusUpdate(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var e *env
			var mu sync.Mutex
			var puts []string
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/captures") {
					http.Error(w, "no such route", code)
					return
				}
				if r.Method == http.MethodPut {
					body, _ := io.ReadAll(r.Body)
					mu.Lock()
					puts = append(puts, r.URL.Path+" "+string(body))
					mu.Unlock()
					r.Body = io.NopCloser(strings.NewReader(string(body)))
				}
				e.sim.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			e = newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
			p := e.payment("10.00", "PLN")
			pr := e.prepare(t, p)
			_ = e.sim.Pay(ctx, pr.Redirect, payutest.OutcomePreAuth)
			e.next(t, p)
			if _, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Money(400), OperationID: "op_part"}); err == nil {
				t.Fatal("a partial capture has no status-update form, yet it succeeded")
			}
			o, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Amount, OperationID: "op_c"})
			if err != nil || !o.Full || o.Amount != p.Amount || o.OperationID != "op_c" {
				t.Fatalf("capture: %+v, %v", o, err)
			}
			if st, _ := e.sim.Order(p.ExternalID); st != payu.StatusCompleted {
				t.Fatalf("order is %s", st)
			}
			mu.Lock()
			defer mu.Unlock()
			want := "/api/v2_1/orders/" + p.ExternalID + "/status " + `{"orderId":"` + p.ExternalID + `","orderStatus":"COMPLETED"}`
			if len(puts) != 1 || puts[0] != want {
				t.Fatalf("status updates %q, want [%q]", puts, want)
			}
		})
	}
}
