package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// amountCheckedOrders refuses every order, its reason wrapping
// getpaid.ErrInvalidAmount (a shop whose order total is now nothing).
type amountCheckedOrders struct{}

func (amountCheckedOrders) Order(_ context.Context, id string) (*getpaid.Order, error) {
	return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Order", ReturnURL: "https://shop.example/" + id}, nil
}

func (amountCheckedOrders) CheckPayable(context.Context, *getpaid.Order) error {
	return fmt.Errorf("%w: the order's total is nothing now", getpaid.ErrInvalidAmount)
}

// An order the shop's checker refuses is 409 on the form and when the form
// is sent anyway, whatever sentinel the shop's reason wraps: one wrapping
// ErrInvalidAmount was 409 (order_not_payable) until b1ac472 put
// invalid_amount before the sentinels it used to follow, then 422 when
// sent (409 on the form).
func TestOrderRefusedForItsAmountIs409(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	h, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{apiKey}, Orders: amountCheckedOrders{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "/pay/o-nothing")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "total is nothing") {
		t.Fatalf("form of a refused order: %d\n%s", resp.StatusCode, body)
	}
	resp, err = client.PostForm(srv.URL+"/pay/o-nothing", url.Values{"backend": {"dummy"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "total is nothing") {
		t.Fatalf("paying a refused order: %d\n%s", resp.StatusCode, body)
	}
}
