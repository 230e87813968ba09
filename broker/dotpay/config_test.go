package dotpay_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

func TestNewRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  dotpay.Config
		want string
	}{
		{"nothing", dotpay.Config{}, "shop_id is required"},
		{"no pin", dotpay.Config{ShopID: "123456"}, "pin is required"},
		{"shop id not numeric", dotpay.Config{ShopID: "12a", PIN: "p"}, "shop_id"},
		{"pin with spaces", dotpay.Config{ShopID: "1", PIN: " p "}, "pin has leading or trailing spaces"},
		{"api version", dotpay.Config{ShopID: "1", PIN: "p", APIVersion: "legacy"}, `api_version "legacy"`},
		{"method", dotpay.Config{ShopID: "1", PIN: "p", Method: "PUT"}, `method "PUT"`},
		{"three-digit currency", dotpay.Config{ShopID: "1", PIN: "p", Currencies: []string{"PLN", "KWD"}}, "KWD has 3 minor digits"},
		{"unknown currency", dotpay.Config{ShopID: "1", PIN: "p", Currencies: []string{"ZZZ"}}, "unknown currency"},
		{"api url", dotpay.Config{ShopID: "1", PIN: "p", APIURL: "ftp://x"}, "api_url"},
		{"half the credentials", dotpay.Config{ShopID: "1", PIN: "p", APIUsername: "u"}, "api_username and api_password go together"},
		{"negative timeout", dotpay.Config{ShopID: "1", PIN: "p", Timeout: -time.Second}, "timeout"},
	}
	for _, tc := range tests {
		if _, err := dotpay.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tweak func(*dotpay.Config)
		want  string
	}{
		{nil, "https://dproxy.przelewy24.pl/t2/"},
		{func(c *dotpay.Config) { c.Sandbox = true }, "https://ssl.dotpay.pl/test_payment/"},
		{func(c *dotpay.Config) { c.APIURL = "http://127.0.0.1:9000/" }, "http://127.0.0.1:9000/t2/"},
		{func(c *dotpay.Config) { c.APIURL, c.Sandbox = "http://127.0.0.1:9000", true }, "http://127.0.0.1:9000/test_payment/"},
	}
	for _, tc := range tests {
		if got := newBroker(t, tc.tweak).PaymentURL(); got != tc.want {
			t.Errorf("payment URL %s, want %s", got, tc.want)
		}
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	if got := strings.Join(newBroker(t, nil).Currencies(), " "); got != "PLN EUR USD GBP JPY CZK SEK UAH RON" {
		t.Errorf("default currencies %s", got)
	}
	b := newBroker(t, func(c *dotpay.Config) { c.Currencies = []string{"EUR"} })
	cs := b.Currencies()
	cs[0] = "XXX"
	if b.Currencies()[0] != "EUR" {
		t.Error("Currencies hands out its own slice")
	}
}

func TestPanelSettings(t *testing.T) {
	t.Parallel()
	env := getpaid.NewEnv("dotpay_pln", "https://shop.example/pay", nil)
	var out strings.Builder
	for _, s := range newBroker(t, nil).PanelSettings(env) {
		out.WriteString(s.Name + ": " + s.Value + "\n")
	}
	for _, want := range []string{"https://shop.example/pay/callback/dotpay_pln", testShop, "195.150.9.37",
		"https://shop.example/pay/success/{payment id}", "refunds and polling are off"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("panel settings lack %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), testPIN) {
		t.Error("panel settings print the PIN")
	}
}

func TestTimeoutSetting(t *testing.T) {
	t.Parallel()
	// A seller API that answers nothing before the client gives up.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	b := newBroker(t, func(c *dotpay.Config) {
		c.APIURL, c.APIUsername, c.APIPassword, c.Timeout = hang.URL, "u", "p", 100*time.Millisecond
	})
	start := time.Now()
	_, err := b.FetchStatus(t.Context(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}})
	if took := time.Since(start); err == nil || !getpaid.IsRetryable(err) || took < 100*time.Millisecond || took > 5*time.Second {
		t.Fatalf("err %v after %s", err, took)
	}
}
