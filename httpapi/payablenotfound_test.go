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

// hiddenOrders is a shop whose CheckPayable says "no such order" (another
// buyer's: the ownership check made in the hook, not in Order).
type hiddenOrders struct{}

func (hiddenOrders) Order(_ context.Context, id string) (*getpaid.Order, error) {
	return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Secret mugs", ReturnURL: "https://shop.example/" + id}, nil
}

func (hiddenOrders) CheckPayable(context.Context, *getpaid.Order) error {
	return fmt.Errorf("not this buyer's: %w", getpaid.ErrNotFound)
}

// A CheckPayable error wrapping getpaid.ErrNotFound is "no such order", as
// the same error from Order is: the form and its submission both answer
// 404 "There is no such order." and show nothing of the order. Before, the
// form answered 409 and the submission 404, both showing the order's
// description and amount with the hook's text as the reason.
func TestCheckPayableNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	h, err := httpapi.New(httpapi.Config{Service: e.eng, Orders: hiddenOrders{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, send := range []func() (*http.Response, error){
		func() (*http.Response, error) { return client.Get(srv.URL + "/pay/o-1") },
		func() (*http.Response, error) {
			return client.PostForm(srv.URL+"/pay/o-1", url.Values{"backend": {"dummy"}})
		},
		// A form with no method chosen, or two: refused before PayOrder
		// asks the checker, it showed the order and its methods (422).
		func() (*http.Response, error) { return client.PostForm(srv.URL+"/pay/o-1", url.Values{}) },
		func() (*http.Response, error) {
			return client.PostForm(srv.URL+"/pay/o-1", url.Values{"backend": {"dummy", "dummy"}})
		},
	} {
		resp, err := send()
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no such order.") || strings.Contains(body, "Secret mugs") {
			t.Errorf("%s: %d, want 404 \"There is no such order.\" and not the order\n%s", resp.Request.Method, resp.StatusCode, body)
		}
	}
	if ps := e.byOrder("o-1"); len(ps) != 0 {
		t.Fatalf("%d payments stored", len(ps))
	}
}
