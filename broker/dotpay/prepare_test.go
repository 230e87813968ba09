package dotpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
)

func provisioned(t *testing.T, tweak func(*dotpay.Config)) *dotpay.Broker {
	t.Helper()
	b := newBroker(t, tweak)
	if err := b.Provision(context.Background(), getpaid.NewEnv("dotpay", "https://shop.example/pay", nil)); err != nil {
		t.Fatal(err)
	}
	return b
}

func payment(amount, currency string) *getpaid.Payment {
	return &getpaid.Payment{ID: "pay_01", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney(amount, currency),
		Description: "Order 7", Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "PL"}}
}

// fields returns the parameters a redirect carries, from its link or form.
func fields(t *testing.T, rd *getpaid.Redirect) map[string]string {
	t.Helper()
	if rd.Method == http.MethodPost {
		return rd.Fields
	}
	u, err := url.Parse(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]string{}
	for k, v := range u.Query() {
		f[k] = v[0]
	}
	return f
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"id": testShop, "amount": "49.90", "currency": "PLN", "description": "Order 7", "control": "pay_01",
		"url": "https://shop.example/pay/success/pay_01", "urlc": "https://shop.example/pay/callback/dotpay",
		"type": "0", "api_version": "next", "lang": "pl", "email": "jan@example.com", "firstname": "Jan",
		"lastname": "Kowalski",
	}
	tests := []struct {
		name       string
		tweak      func(*dotpay.Config)
		method     string
		apiVersion string
		base       string
	}{
		{"GET next", nil, http.MethodGet, "next", "https://dproxy.przelewy24.pl/t2/"},
		{"POST next", func(c *dotpay.Config) { c.Method = "post" }, http.MethodPost, "next", "https://dproxy.przelewy24.pl/t2/"},
		{"GET dev sandbox", func(c *dotpay.Config) { c.APIVersion, c.Sandbox = "dev", true }, http.MethodGet, "dev", "https://ssl.dotpay.pl/test_payment/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prep, err := provisioned(t, tc.tweak).Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment("49.90", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			rd := prep.Redirect
			if rd.Method != tc.method || !strings.HasPrefix(rd.URL, tc.base) || prep.ExternalID != "" {
				t.Fatalf("redirect %+v, external id %q", rd, prep.ExternalID)
			}
			got := fields(t, rd)
			chk := got["chk"]
			delete(got, "chk")
			w := map[string]string{}
			for k, v := range want {
				w[k] = v
			}
			w["api_version"] = tc.apiVersion
			if d := cmp.Diff(w, got); d != "" {
				t.Fatalf("parameters (-want +got):\n%s", d)
			}
			if chk != dotpay.Chk(testPIN, got) {
				t.Fatalf("chk %s does not sign the parameters", chk)
			}
		})
	}
}

func TestPrepareRefused(t *testing.T) {
	t.Parallel()
	b := provisioned(t, func(c *dotpay.Config) { c.Currencies = []string{"PLN", "JPY"} })
	for _, tc := range []struct {
		name string
		p    *getpaid.Payment
		want error
	}{
		{"currency not accepted", payment("10.00", "EUR"), getpaid.ErrCurrencyNotAccepted},
		{"nothing to pay", payment("0.00", "PLN"), getpaid.ErrInvalidAmount},
	} {
		if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: tc.p}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := newBroker(t, nil).Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment("1.00", "PLN")}); err == nil ||
		!strings.Contains(err.Error(), "not provisioned") {
		t.Errorf("before Provision: %v", err)
	}
}

// An amount above what Dotpay's format holds (15 digits of hundredths) is
// refused as a wrong amount field naming the largest Dotpay takes, so the
// API says what is wrong instead of a bare "invalid amount".
func TestPrepareAmountAboveDotpayLimit(t *testing.T) {
	t.Parallel()
	b := provisioned(t, func(c *dotpay.Config) { c.Currencies = []string{"PLN", "JPY"} })
	for _, tc := range []struct {
		p    *getpaid.Payment
		want string
	}{
		{payment("10000000000000.00", "PLN"), "9999999999999.99 PLN"},
		{payment("10000000000000", "JPY"), "9999999999999 JPY"},
	} {
		_, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: tc.p})
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || fe.Field != "amount" || !errors.Is(err, getpaid.ErrInvalidAmount) || !strings.Contains(fe.Reason, tc.want) {
			t.Errorf("Prepare(%v) = %v; want an amount field error naming %s", tc.p.Amount, err, tc.want)
		}
	}
	for _, amount := range []string{"9999999999999.99"} {
		if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment(amount, "PLN")}); err != nil {
			t.Errorf("Prepare(%s PLN): %v", amount, err)
		}
	}
}

// Buyer data is cleaned the way Dotpay's form takes it.
func TestPrepareCleansBuyerData(t *testing.T) {
	t.Parallel()
	p := payment("1.00", "PLN")
	p.Description = ""
	p.Buyer = getpaid.Buyer{FirstName: "Anna-Maria <script>", LastName: "O'Brien\tŻółć", Email: " a@b.c ", Language: "xx"}
	prep, err := provisioned(t, nil).Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	f := fields(t, prep.Redirect)
	if f["firstname"] != "Anna-Maria script" || f["lastname"] != "O Brien Żółć" || f["email"] != "a@b.c" ||
		f["description"] != "Payment pay_01" || f["lang"] != "" {
		t.Fatalf("%v", f)
	}
	p.Description = strings.Repeat("ż", 300) + "\x00"
	prep, _ = provisioned(t, nil).Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
	if d := fields(t, prep.Redirect)["description"]; d != strings.Repeat("ż", 255) {
		t.Fatalf("description of %d characters", len([]rune(d)))
	}
}

// The simulator's independent signer accepts whatever Prepare sends, in
// both chk variants, by GET and by POST: descriptions with Polish letters,
// emoji, quotes, slashes, HTML characters and newlines included.
func TestPrepareAcceptedBySimulator(t *testing.T) {
	t.Parallel()
	descriptions := []string{
		"Zamówienie nr 7/2026 — żółć", `Say "hi" \ <b>&amp;</b>`, "emoji 😀🎉 line\nbreak\ttab",
		"https://example.com/a?b=c&d=e", strings.Repeat("ą", 255),
	}
	for _, variant := range []struct{ method, api string }{{"GET", "next"}, {"POST", "next"}, {"GET", "dev"}, {"POST", "dev"}} {
		t.Run(variant.method+" "+variant.api, func(t *testing.T) {
			t.Parallel()
			sim := dotpaytest.Start(dotpaytest.Config{RetryDelay: time.Millisecond, MaxAttempts: 1})
			t.Cleanup(sim.Close)
			c := sim.Config()
			b, err := dotpay.New(dotpay.Config{ShopID: c.ShopID, PIN: c.PIN, APIURL: sim.URL(), Method: variant.method, APIVersion: variant.api})
			if err != nil {
				t.Fatal(err)
			}
			_ = b.Provision(context.Background(), getpaid.NewEnv("dotpay", "http://127.0.0.1:1/pay", nil))
			for i, d := range descriptions {
				p := payment("12.34", "PLN")
				p.ID, p.Description = "pay_"+string(rune('a'+i)), d
				p.Buyer.FirstName = "Łukasz Ünal"
				prep, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
				if err != nil {
					t.Fatal(err)
				}
				if err := sim.Pay(context.Background(), prep.Redirect, dotpaytest.OutcomeAbandoned); err != nil {
					t.Fatalf("%q: %v", d, err)
				}
			}
			// A tampered amount is refused by the simulator like by Dotpay.
			prep, _ := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: payment("12.34", "PLN")})
			rd := *prep.Redirect
			if rd.Method == http.MethodPost {
				rd.Fields = map[string]string{}
				for k, v := range prep.Redirect.Fields {
					rd.Fields[k] = v
				}
				rd.Fields["amount"] = "0.01"
			} else {
				rd.URL = strings.Replace(rd.URL, "amount=12.34", "amount=0.01", 1)
			}
			if err := sim.Pay(context.Background(), &rd, dotpaytest.OutcomePaid); err == nil || !strings.Contains(err.Error(), "HASH_NOT_EQUAL_CHK") {
				t.Fatalf("tampered amount: %v", err)
			}
		})
	}
}
