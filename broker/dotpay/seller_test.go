package dotpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// fakeSeller serves pages of operations as the seller API does: pages[i]
// answers page i+1, next links chaining them (or next as given).
func fakeSeller(t *testing.T, pages [][]map[string]any, next func(base string, page int) any) *dotpay.Broker {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "u" || p != "p" || r.URL.Path != "/s2/login/api/v1/operations/" ||
			r.URL.Query().Get("control") != "pay_1" || r.URL.Query().Get("format") != "json" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusTeapot)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		body := map[string]any{"count": 0, "next": next(srv.URL, page), "previous": nil, "results": pages[page-1]}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
}

func op(number, typ, status, control string) map[string]any {
	return map[string]any{"number": number, "type": typ, "status": status, "amount": "10.00", "currency": "PLN",
		"original_amount": "10.00", "original_currency": "PLN", "control": control, "account_id": testShop,
		"related_operation": nil, "payer": map[string]any{"email": "x@example.com"}}
}

func TestFetchStatusFollowsPages(t *testing.T) {
	t.Parallel()
	pages := [][]map[string]any{
		{op("M1000-0001", "payment", "rejected", "pay_1"), op("M1000-0002", "payment", "completed", "pay_10")},
		{op("M1000-0003", "refund", "completed", "pay_1"), op("M1000-0004", "payment", "processing", "pay_1")},
		{op("M1000-0005", "payment", "completed", "pay_1")},
	}
	b := fakeSeller(t, pages, func(base string, page int) any {
		if page < 3 {
			return fmt.Sprintf("%s/s2/login/api/v1/operations/?control=pay_1&format=json&page=%d", base, page+1)
		}
		return nil
	})
	p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("10.00", "PLN")}
	o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindCaptured || o.ExternalID != "M1000-0005" || o.EventID != "poll:M1000-0005:completed" || !o.Full ||
		o.Amount != p.Amount {
		t.Fatalf("%+v", o)
	}
}

func TestFetchStatusRefusesForeignNextPage(t *testing.T) {
	t.Parallel()
	b := fakeSeller(t, [][]map[string]any{{}}, func(string, int) any { return "https://attacker.example/s2/login/api/v1/operations/?page=2" })
	_, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "not on the seller API") {
		t.Fatalf("err = %v", err)
	}
}

func TestFetchStatusMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ops  []map[string]any
		want getpaid.Kind
	}{
		{nil, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "new", "pay_1")}, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "processing_realization", "pay_1")}, getpaid.KindPending},
		{[]map[string]any{op("M1", "payment", "rejected", "pay_1")}, getpaid.KindFailed},
		{[]map[string]any{op("M1", "payment", "rejected", "pay_1"), op("M2", "payment", "new", "pay_1")}, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "completed", "pay_2")}, getpaid.KindNone}, // another payment's
	}
	for i, tc := range tests {
		b := fakeSeller(t, [][]map[string]any{tc.ops}, func(string, int) any { return nil })
		o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}})
		if err != nil || o.Kind != tc.want || o.PaymentID != "pay_1" {
			t.Errorf("%d: %+v %v, want %s", i, o, err, tc.want)
		}
	}
	bad := op("M1", "payment", "completed", "pay_1")
	bad["original_amount"] = "ten"
	b := fakeSeller(t, [][]map[string]any{{bad}}, func(string, int) any { return nil })
	if _, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}}); err == nil {
		t.Error("unreadable amount accepted")
	}
}
