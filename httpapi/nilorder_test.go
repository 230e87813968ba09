package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// An OrderSource that answers no order and no error (a lookup that found
// nothing, written as Go code often writes it) is read as "no such order":
// the form answers 404 and PayOrder ErrNotFound, with nothing stored and no
// broker asked, instead of a nil order crashing the request.
func TestNilOrderIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	orders := getpaid.OrderSourceFunc(func(context.Context, string) (*getpaid.Order, error) { return nil, nil })
	h, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{apiKey}, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, send := range []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(srv.URL + "/pay/o-nil") },
		func() (*http.Response, error) {
			return brokerhttp.Client(nil, 0, 0).PostForm(srv.URL+"/pay/o-nil", url.Values{"backend": {"dummy"}})
		},
	} {
		resp, err := send()
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s %s: %d, want 404\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body)
		}
	}
	if _, err := e.eng.PayOrder(context.Background(), orders, "o-nil", "dummy", ""); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("PayOrder of a nil order: %v, want ErrNotFound", err)
	}
	if n := e.counts.prepares.Load(); n != 0 {
		t.Fatalf("the broker was asked %d times", n)
	}
	if ps := e.byOrder(""); len(ps) != 0 {
		t.Fatalf("%d payments stored", len(ps))
	}
}
