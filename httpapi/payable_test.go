package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// checkedOrders is an order source whose readiness hook refuses order
// "o-refused" (django-getpaid's readiness and ownership hooks).
type checkedOrders map[string]*getpaid.Order

func (c checkedOrders) Order(_ context.Context, id string) (*getpaid.Order, error) {
	if o, ok := c[id]; ok {
		return o, nil
	}
	return nil, getpaid.ErrNotFound
}

func (c checkedOrders) CheckPayable(_ context.Context, o *getpaid.Order) error {
	if o.ID == "o-refused" {
		return errors.New("the order is already paid")
	}
	return nil
}

// Scenario 1 of django-getpaid: an order its shop says cannot be paid now
// is offered no payment method, and choosing one anyway is refused (409)
// without a payment stored or the broker asked, and offers none again; a
// payable order still pays.
func TestOrderNotPayableRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	orders := checkedOrders{}
	for _, id := range []string{"o-refused", "o-ok"} {
		orders[id] = &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Order", ReturnURL: "https://shop.example/" + id}
	}
	h, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{apiKey}, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := client.Get(srv.URL + "/pay/o-refused")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusConflict || strings.Contains(body, `value="dummy"`) || !strings.Contains(body, "already paid") {
		t.Fatalf("form of a refused order: %d\n%s", resp.StatusCode, body)
	}
	before := e.counts.prepares.Load()
	resp, err = client.PostForm(srv.URL+"/pay/o-refused", url.Values{"backend": {"dummy"}})
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	// A form submitted anyway (a second tab, the back button) is refused
	// like the form itself: with the reason, and no method to choose again.
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already paid") || strings.Contains(body, `value="dummy"`) {
		t.Fatalf("paying a refused order: %d\n%s", resp.StatusCode, body)
	}
	if n := e.counts.prepares.Load(); n != before {
		t.Fatalf("a refused order reached the broker (%d prepares)", n-before)
	}
	if ps := e.byOrder("o-refused"); len(ps) != 0 {
		t.Fatalf("a refused order stored %d payments", len(ps))
	}
	if _, err := e.eng.PayOrder(context.Background(), orders, "o-refused", "dummy", ""); !errors.Is(err, getpaid.ErrOrderNotPayable) {
		t.Fatalf("PayOrder of a refused order: %v, want ErrOrderNotPayable", err)
	}

	resp, err = client.PostForm(srv.URL+"/pay/o-ok", url.Values{"backend": {"dummy"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != http.StatusFound || len(e.byOrder("o-ok")) != 1 {
		t.Fatalf("paying a payable order: %d", resp.StatusCode)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
