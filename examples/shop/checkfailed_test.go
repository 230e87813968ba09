package shop_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/examples/shop"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// silentBroker registers payments and never notifies; asked about one, it
// answers err (a simulator restarted that no longer knows the payment, or a
// broker down).
type silentBroker struct{ err error }

func (silentBroker) Currencies() []string { return []string{"PLN"} }

func (silentBroker) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	return &getpaid.Prepared{Redirect: &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay/" + req.Payment.ID}}, nil
}

func (silentBroker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, getpaid.ErrMalformedCallback
}

func (b silentBroker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	return nil, b.err
}

// "Check again" that the broker could not answer says so on the page the
// buyer is left on, next to the way to pay again: the page does not go
// back to waiting for a confirmation (it reloaded within a second, taking
// the answer away, and hid the pay button for another wait).
func TestCheckAgainRefusedStaysOnTheAnswer(t *testing.T) {
	t.Parallel()
	stateRe := regexp.MustCompile(`data-state="([a-z_]+)"`)
	tests := []struct {
		name, says string
		err        error
	}{
		{"the broker does not know the payment", "does not know this payment",
			&getpaid.BrokerError{Op: "silent: get transaction", Status: http.StatusNotFound, Err: errors.New("transaction_not_found")}},
		{"the broker down", "could not be reached",
			&getpaid.BrokerError{Op: "silent: get transaction", Retryable: true, Err: errors.New("connection refused")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := sqlite.OpenDB(filepath.Join(t.TempDir(), "shop.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			app, err := shop.NewApp(t.Context(), shop.Options{DB: db, Store: memory.New(), BaseURL: "http://shop.example", DummySecret: "s",
				Extra: []getpaid.Backend{{Name: "silent", Title: "Silent broker", Broker: silentBroker{tt.err}}}, ConfirmWait: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			post := func(path string, form url.Values) *httptest.ResponseRecorder {
				r := httptest.NewRequest("POST", "http://shop.example"+path, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				app.Handler.ServeHTTP(w, r)
				return w
			}
			w := post("/orders", url.Values{"sku": {"mug"}})
			orderPath := w.Header().Get("Location")
			if w.Code != http.StatusSeeOther || orderPath == "" {
				t.Fatalf("order: %d %q", w.Code, orderPath)
			}
			orderID := strings.TrimPrefix(orderPath, "/orders/")
			if w = post("/payments/pay/"+orderID, url.Values{"backend": {"silent"}}); w.Code != http.StatusFound {
				t.Fatalf("pay: %d\n%s", w.Code, w.Body)
			}
			r := httptest.NewRequest("GET", "http://shop.example"+orderPath+"?waited=60", nil)
			w = httptest.NewRecorder()
			app.Handler.ServeHTTP(w, r)
			check := regexp.MustCompile(`action="(/orders/[^"]+/poll)"`).FindStringSubmatch(w.Body.String())
			if check == nil {
				t.Fatalf("no Check again after the wait:\n%s", w.Body)
			}
			w = post(check[1], nil)
			page := w.Body.String()
			if !strings.Contains(page, tt.says) {
				t.Fatalf("after Check again the page does not say %q:\n%s", tt.says, page)
			}
			if s := stateRe.FindStringSubmatch(page); len(s) != 2 || s[1] != "not_confirmed" {
				t.Errorf("after Check again the page shows %v, want not_confirmed (not a new wait)", s)
			}
			if strings.Contains(page, `http-equiv="refresh"`) {
				t.Errorf("the page with the broker's answer reloads itself, taking the answer away:\n%s", page)
			}
			if !strings.Contains(page, `id="pay"`) {
				t.Errorf("the page with the broker's answer offers no way to pay again:\n%s", page)
			}
		})
	}
}
