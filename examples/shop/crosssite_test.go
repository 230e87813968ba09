package shop_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/examples/shop"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// The shop's own forms (an order, a capture, a release) are refused when
// another site's page sends them through the buyer's browser, as getpaid's
// payment form is: such a page could place orders or release a buyer's
// hold. A form from the shop's own pages, and a request no browser sent,
// pass.
func TestFormsFromAnotherSiteRefused(t *testing.T) {
	t.Parallel()
	db, err := sqlite.OpenDB(filepath.Join(t.TempDir(), "shop.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := shop.NewApp(t.Context(), shop.Options{DB: db, Store: memory.New(), BaseURL: "http://shop.example", DummySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string, form url.Values, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "http://shop.example"+path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, r)
		return w
	}
	order := url.Values{"sku": {"mug"}}
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if w := post("/orders", order, h...); w.Code != http.StatusForbidden || w.Header().Get("Location") != "" {
			t.Errorf("an order sent from another site (%s): %d %q, want 403", h[0], w.Code, w.Header().Get("Location"))
		}
		if w := post("/orders/ord_1/payments/pay_1/release", url.Values{}, h...); w.Code != http.StatusForbidden {
			t.Errorf("a release sent from another site (%s): %d, want 403", h[0], w.Code)
		}
	}
	for _, h := range [][]string{{"Sec-Fetch-Site", "same-origin"}, {"Origin", "http://shop.example"}, nil} {
		if w := post("/orders", order, h...); w.Code != http.StatusSeeOther {
			t.Errorf("an order from the shop's page (%v): %d, want 303\n%s", h, w.Code, w.Body)
		}
	}
}
