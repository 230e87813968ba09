package dotpay_test

// Dotpay as its public documents describe it, written without dotpaytest:
// the payment form and its chk for api_version "next" (Dotpay's PHP SDK
// and plugins: the parameters sorted by name, a paramsList of those names
// joined with ";", sorted again, json_encode'd with JSON_UNESCAPED_SLASHES,
// HMAC-SHA256 keyed with the PIN), the URLC notification (form-encoded
// POST; signature = SHA-256 of the PIN followed by the fields in the
// technical manual's order, absent ones empty) and its answer, the body
// "OK" (brokers.md §4.2-4.4, §4.6).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
)

// specURLCOrder is the order of the signed URLC fields in Dotpay's manual.
var specURLCOrder = strings.Fields(`id operation_number operation_type operation_status operation_amount
	operation_currency operation_withdrawal_amount operation_commission_amount is_completed
	operation_original_amount operation_original_currency operation_datetime operation_related_number
	control description email p_info p_email credit_card_issuer_identification_number
	credit_card_masked_number credit_card_expiration_year credit_card_expiration_month
	credit_card_brand_codename credit_card_brand_code credit_card_unique_identifier credit_card_id
	channel channel_country geoip_country payer_bank_account_name payer_bank_account
	payer_transfer_title blik_voucher_pin blik_voucher_amount blik_voucher_amount_used
	channel_reference_id operation_seller_code`)

func specSignature(pin string, f url.Values) string {
	var b strings.Builder
	b.WriteString(pin)
	for _, k := range specURLCOrder {
		b.WriteString(f.Get(k))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// phpJSONString is PHP's json_encode of a string with
// JSON_UNESCAPED_SLASHES: Go's encoding without HTML escaping, then every
// non-ASCII character as \uXXXX.
func phpJSONString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	var b strings.Builder
	for _, r := range out {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, "\\u%04x", u)
		}
	}
	return b.String()
}

func specChk(pin string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "chk" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	all := map[string]string{"paramsList": strings.Join(keys, ";")}
	for _, k := range keys {
		all[k] = params[k]
	}
	keys = append(keys, "paramsList")
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(phpJSONString(k) + ":" + phpJSONString(all[k]))
	}
	b.WriteByte('}')
	m := hmac.New(sha256.New, []byte(pin))
	m.Write([]byte(b.String()))
	return hex.EncodeToString(m.Sum(nil))
}

type specFlow struct {
	eng   *engine.Engine
	store getpaid.Store
	url   string
}

func newSpecFlow(t *testing.T, tweak func(*dotpay.Config)) *specFlow {
	t.Helper()
	mux := &specLate{}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	off := false
	cfg := dotpay.Config{ShopID: "123456", PIN: "pin123abc", IPAllowlist: &off}
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := dotpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dotpay", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	f := &specFlow{store: memory.New(), url: srv.URL}
	if f.eng, err = engine.New(engine.Config{Store: f.store, Registry: reg, BaseURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.eng.Close() })
	if mux.h, err = httpapi.New(httpapi.Config{Service: f.eng}); err != nil {
		t.Fatal(err)
	}
	return f
}

type specLate struct{ h http.Handler }

func (m *specLate) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.h.ServeHTTP(w, r) }

// form returns the parameters the buyer carries to Dotpay.
func specForm(t *testing.T, rd *getpaid.Redirect) (string, map[string]string) {
	t.Helper()
	if rd.Method == http.MethodPost {
		return rd.URL, rd.Fields
	}
	u, err := url.Parse(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{}
	for k, v := range u.Query() {
		if len(v) != 1 {
			t.Fatalf("parameter %s sent %d times", k, len(v))
		}
		p[k] = v[0]
	}
	u.RawQuery = ""
	return u.String(), p
}

func (f *specFlow) urlc(t *testing.T, urlc string, form url.Values) (int, string) {
	t.Helper()
	u, err := url.Parse(urlc)
	if err != nil || !strings.HasPrefix(urlc, f.url) {
		t.Fatalf("urlc %q is not getpaid's", urlc)
	}
	res, err := brokerhttp.Client(nil, 0, 0).Post(f.url+u.RequestURI(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestSpecDotpayFormAndURLC(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			f := newSpecFlow(t, func(c *dotpay.Config) { c.Method = method })
			p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-1", Backend: "dotpay",
				Amount: getpaid.Money{Minor: 12300, Currency: "PLN"}, Description: "Zamówienie <1> & więcej / A/B \"x\" 😀",
				Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "pl"}})
			if err != nil {
				t.Fatal(err)
			}
			target, params := specForm(t, p.Redirect)
			if target != dotpay.ProductionURL+"/t2/" && !strings.HasSuffix(target, "/t2/") {
				t.Errorf("form goes to %s", target)
			}
			for k, want := range map[string]string{"id": "123456", "amount": "123.00", "currency": "PLN",
				"control": p.ID, "api_version": "next", "lang": "pl", "email": "jan@example.com"} {
				if params[k] != want {
					t.Errorf("%s = %q, want %q", k, params[k], want)
				}
			}
			if !strings.HasPrefix(params["url"], f.url) || !strings.HasPrefix(params["urlc"], f.url) {
				t.Errorf("url %q, urlc %q: not getpaid's", params["url"], params["urlc"])
			}
			if want := specChk("pin123abc", params); params["chk"] != want {
				t.Errorf("chk %s, the SDK's algorithm gives %s", params["chk"], want)
			}

			urlc := url.Values{
				"id": {"123456"}, "operation_number": {"M1234-5678"}, "operation_type": {"payment"},
				"operation_status": {"completed"}, "operation_amount": {"123.00"}, "operation_currency": {"PLN"},
				"operation_withdrawal_amount": {"120.54"}, "operation_commission_amount": {"-2.46"}, "is_completed": {"true"},
				"operation_original_amount": {"123.00"}, "operation_original_currency": {"PLN"},
				"operation_datetime": {"2026-12-02 08:00:00"}, "control": {p.ID}, "description": {params["description"]},
				"email": {"jan@example.com"}, "p_info": {"Sklep (shop@example.com)"}, "p_email": {"shop@example.com"},
				"channel": {"73"}, "channel_country": {"PL"}, "geoip_country": {"PL"},
				"payer_bank_account_name": {"JAN KOWALSKI"}, "payer_bank_account": {"PL61109010140000071219812874"},
				"payer_transfer_title": {"M1234-5678"},
			}
			// Tampered: the amount raised after signing.
			bad := url.Values{}
			for k, v := range urlc {
				bad[k] = v
			}
			bad.Set("signature", specSignature("pin123abc", urlc))
			bad.Set("operation_original_amount", "1.00")
			if code, ans := f.urlc(t, params["urlc"], bad); code == http.StatusOK && ans == "OK" {
				t.Fatalf("tampered URLC answered %d %q", code, ans)
			}
			// A genuine URLC signed for a smaller amount than the payment is not paid.
			small := url.Values{}
			for k, v := range urlc {
				small[k] = v
			}
			small.Set("operation_number", "M1234-0001")
			small.Set("operation_original_amount", "1.00")
			small.Set("operation_amount", "1.00")
			small.Set("signature", specSignature("pin123abc", small))
			f.urlc(t, params["urlc"], small)
			if got, _ := f.store.Payment(context.Background(), p.ID); got.Status == getpaid.StatusPaid {
				t.Fatalf("paid by a URLC for 1.00: %+v", got)
			}

			urlc.Set("signature", specSignature("pin123abc", urlc))
			if code, ans := f.urlc(t, params["urlc"], urlc); code != http.StatusOK || ans != "OK" {
				t.Fatalf("URLC answered %d %q, Dotpay wants 200 OK", code, ans)
			}
			paid := brokertest.WaitStatus(t, f.store, p.ID, getpaid.StatusPaid)
			if code, ans := f.urlc(t, params["urlc"], urlc); code != http.StatusOK || ans != "OK" {
				t.Fatalf("repeated URLC answered %d %q", code, ans)
			}
			again, _ := f.store.Payment(context.Background(), p.ID)
			if again.Version != paid.Version {
				t.Fatalf("a repeated URLC changed the payment")
			}
		})
	}
}

// Statuses as the manual lists them map as documented.
func TestSpecDotpayStatuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status string
		want   getpaid.Status
	}{
		{"new", getpaid.StatusPrepared},
		{"processing", getpaid.StatusChargeStarted},
		{"processing_realization_waiting", getpaid.StatusChargeStarted},
		{"rejected", getpaid.StatusFailed},
		{"completed", getpaid.StatusPaid},
	} {
		t.Run(c.status, func(t *testing.T) {
			t.Parallel()
			f := newSpecFlow(t, nil)
			p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dotpay",
				Amount: getpaid.Money{Minor: 5000, Currency: "EUR"}, Buyer: getpaid.Buyer{Email: "a@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			_, params := specForm(t, p.Redirect)
			if params["amount"] != "50.00" || params["currency"] != "EUR" {
				t.Fatalf("amount %q %q", params["amount"], params["currency"])
			}
			urlc := url.Values{"id": {"123456"}, "operation_number": {"M9-1"}, "operation_type": {"payment"},
				"operation_status": {c.status}, "operation_amount": {"215.23"}, "operation_currency": {"PLN"},
				"operation_original_amount": {"50.00"}, "operation_original_currency": {"EUR"},
				"operation_datetime": {"2026-12-02 08:00:00"}, "control": {p.ID}, "description": {params["description"]},
				"email": {"a@example.com"}, "channel": {"248"}, "credit_card_masked_number": {"XXXX XXXX XXXX 1111"},
				"credit_card_brand_codename": {"visa"}, "credit_card_expiration_year": {"2030"}, "credit_card_expiration_month": {"01"}}
			urlc.Set("signature", specSignature("pin123abc", urlc))
			if code, ans := f.urlc(t, params["urlc"], urlc); code != http.StatusOK || ans != "OK" {
				t.Fatalf("URLC answered %d %q", code, ans)
			}
			if c.want == getpaid.StatusPrepared {
				got, _ := f.store.Payment(context.Background(), p.ID)
				if got.Status != getpaid.StatusPrepared {
					t.Fatalf("status %s", got.Status)
				}
				return
			}
			brokertest.WaitStatus(t, f.store, p.ID, c.want)
		})
	}
}

// The form's email takes at most 100 characters; a longer address is left
// out (the parameter is optional) rather than cut into another address.
func TestSpecDotpayLongEmailLeftOut(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ email, want string }{
		{specEmail(31), specEmail(31)}, // 100 characters
		{specEmail(32), ""},            // 101
	} {
		f := newSpecFlow(t, nil)
		p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dotpay",
			Amount: getpaid.Money{Minor: 100, Currency: "PLN"}, Buyer: getpaid.Buyer{Email: c.email}})
		if err != nil {
			t.Fatal(err)
		}
		if _, params := specForm(t, p.Redirect); params["email"] != c.want {
			t.Errorf("email of %d characters sent as %q, want %q", len(c.email), params["email"], c.want)
		}
	}
}

// specEmail is an address of 69+n characters.
func specEmail(n int) string {
	return "jan@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", n) + ".com"
}
