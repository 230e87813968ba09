package transferuj_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
)

// The request md5sum vectors of brokers.md §3.4 [D]: joined with "&" (the
// current tpay-php) and the plain concatenation of django-getpaid 1.x.
func TestRequestMD5Vectors(t *testing.T) {
	t.Parallel()
	if got := transferuj.RequestMD5(transferuj.VariantJoined, "1010", "10.00", "order_1", "demo"); got != "76eda7114b12ce193fc9693aa210bddd" {
		t.Fatalf("joined: %s", got)
	}
	if got := transferuj.RequestMD5(transferuj.VariantPlain, "1010", "10.00", "order_1", "demo"); got != "0108cdd85959b309e4c418103b8233dd" {
		t.Fatalf("plain: %s", got)
	}
}

func newBroker(t *testing.T, cfg transferuj.Config) *transferuj.Broker {
	t.Helper()
	if cfg.MerchantID == 0 {
		cfg.MerchantID = 1010
	}
	if cfg.SecurityCode == "" {
		cfg.SecurityCode = "demo"
	}
	b, err := transferuj.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("transferuj", "https://shop.example/payments", nil)); err != nil {
		t.Fatal(err)
	}
	return b
}

func payment(amount string) *getpaid.Payment {
	return &getpaid.Payment{ID: "order_1", Amount: getpaid.MustParseMoney(amount, "PLN"), Description: "Order 1",
		Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "en"}}
}

// The form carries exactly the fields of each era, signed with its md5sum.
func TestFormFields(t *testing.T) {
	t.Parallel()
	base := "https://shop.example/payments"
	tests := []struct {
		name    string
		variant string
		want    map[string]string
	}{
		{"joined: current names", transferuj.VariantJoined, map[string]string{
			"id": "1010", "amount": "10.00", "description": "Order 1", "crc": "order_1", "md5sum": "76eda7114b12ce193fc9693aa210bddd",
			"result_url": base + "/callback/transferuj", "return_url": base + "/success/order_1", "return_error_url": base + "/failure/order_1",
			"email": "jan@example.com", "name": "Jan Kowalski", "language": "EN",
		}},
		{"plain: django-getpaid 1.x names", transferuj.VariantPlain, map[string]string{
			"id": "1010", "kwota": "10.00", "opis": "Order 1", "crc": "order_1", "md5sum": "0108cdd85959b309e4c418103b8233dd",
			"wyn_url": base + "/callback/transferuj", "pow_url": base + "/success/order_1", "pow_url_blad": base + "/failure/order_1",
			"email": "jan@example.com", "jezyk": "en",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBroker(t, transferuj.Config{MD5Variant: tt.variant})
			res, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment("10.00")})
			if err != nil {
				t.Fatal(err)
			}
			if res.Redirect.Method != http.MethodPost || res.Redirect.URL != transferuj.ProductionURL || res.ExternalID != "" {
				t.Fatalf("redirect %+v, external id %q", res.Redirect, res.ExternalID)
			}
			if diff := cmp.Diff(tt.want, res.Redirect.Fields); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

// With method get the same signed fields travel in a link.
func TestFormAsLink(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{Method: transferuj.MethodGet, APIURL: "http://127.0.0.1:9000/"})
	res, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment("10.00")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(res.Redirect.URL)
	if err != nil || res.Redirect.Method != http.MethodGet || u.Host != "127.0.0.1:9000" {
		t.Fatalf("%+v %v", res.Redirect, err)
	}
	if q := u.Query(); q.Get("md5sum") != "76eda7114b12ce193fc9693aa210bddd" || q.Get("amount") != "10.00" || q.Get("crc") != "order_1" {
		t.Fatalf("query %v", q)
	}
}

// Amounts are major units with two decimals, exact from minor units.
func TestFormAmounts(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{})
	for _, tt := range []struct{ in, want string }{{"0.01", "0.01"}, {"0.1", "0.10"}, {"123.45", "123.45"}, {"99999999.99", "99999999.99"}, {"7", "7.00"}} {
		res, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment(tt.in)})
		if err != nil || res.Redirect.Fields["amount"] != tt.want {
			t.Errorf("%s: %v, %v", tt.in, res.Redirect.Fields["amount"], err)
		}
	}
	eur := payment("1.00")
	eur.Amount.Currency = "EUR"
	if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: eur}); !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
		t.Fatalf("EUR on a PLN account: %v", err)
	}
	zero := payment("0")
	if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: zero}); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("zero: %v", err)
	}
	long := payment("1")
	long.Description = strings.Repeat("ż", 200)
	res, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: long})
	if err != nil || len([]rune(res.Redirect.Fields["description"])) != 128 {
		t.Fatalf("long description: %v", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		cfg  transferuj.Config
		want string
	}{
		"no merchant":         {transferuj.Config{SecurityCode: "x"}, "merchant_id"},
		"no code":             {transferuj.Config{MerchantID: 1}, "security_code"},
		"unknown variant":     {transferuj.Config{MerchantID: 1, SecurityCode: "x", MD5Variant: "sha1"}, "md5_variant"},
		"unknown method":      {transferuj.Config{MerchantID: 1, SecurityCode: "x", Method: "put"}, "method"},
		"two currencies":      {transferuj.Config{MerchantID: 1, SecurityCode: "x", Currencies: []string{"PLN", "EUR"}}, "one currency"},
		"no cents":            {transferuj.Config{MerchantID: 1, SecurityCode: "x", Currencies: []string{"JPY"}}, "minor digits"},
		"relative form URL":   {transferuj.Config{MerchantID: 1, SecurityCode: "x", APIURL: "secure.tpay.com"}, "api_url"},
		"relative JWS prefix": {transferuj.Config{MerchantID: 1, SecurityCode: "x", JWSPrefix: "secure.tpay.com"}, "jws_prefix"},
	} {
		if _, err := transferuj.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
	b, err := transferuj.New(transferuj.Config{MerchantID: 1, SecurityCode: "x", Currencies: []string{"EUR"}})
	if err != nil || b.Currencies()[0] != "EUR" {
		t.Fatalf("a EUR account: %v", err)
	}
}
