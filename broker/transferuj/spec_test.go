package transferuj_test

// The legacy Tpay (Transferuj) form and notification as Tpay's public
// documents describe them, written without transferujtest: tpay-php
// (BasicPaymentOptions::prepareConfig: md5sum = md5(id&amount&crc&code);
// BasicFieldsDictionary: the field names, their old Polish aliases and the
// notification's fields; BasicNotificationHandler: md5(id + tr_id +
// tr_amount with two decimals + tr_crc + code), answer TRUE), Tpay's
// technical documentation of the Transferuj form (MD5(id + kwota + crc +
// code)), and tpay-openapi-php JWSVerifiedPaymentNotification (detached
// RS256 JWS in X-JWS-Signature, x5u under the trusted prefix, certificate
// signed by /x509/tpay-jws-root.pem).

import (
	"bytes"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// specCerts serves a root and a signing certificate the way Tpay does and
// signs notifications with the latter.
type specCerts struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newSpecCerts(t *testing.T) *specCerts {
	t.Helper()
	rootKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	leafKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "jws"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafT, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	mux := http.NewServeMux()
	mux.HandleFunc("/x509/tpay-jws-root.pem", func(w http.ResponseWriter, _ *http.Request) { w.Write(pemOf(rootDER)) })
	mux.HandleFunc("/x509/notifications-jws.pem", func(w http.ResponseWriter, _ *http.Request) { w.Write(pemOf(leafDER)) })
	c := &specCerts{srv: httptest.NewServer(mux), key: leafKey}
	t.Cleanup(c.srv.Close)
	return c
}

func (c *specCerts) sign(t *testing.T, body []byte) string {
	t.Helper()
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "x5u": c.srv.URL + "/x509/notifications-jws.pem"})
	h := base64.RawURLEncoding.EncodeToString(hdr)
	sum := sha256.Sum256([]byte(h + "." + base64.RawURLEncoding.EncodeToString(body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return h + ".." + base64.RawURLEncoding.EncodeToString(sig)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSpecTransferujFormAndNotification(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		variant string
		names   map[string]string // generic -> field name
		md5     func(id, amount, crc string) string
		lang    string
	}{
		{transferuj.VariantJoined, map[string]string{"amount": "amount", "description": "description", "result": "result_url",
			"return": "return_url", "error": "return_error_url", "lang": "language"},
			func(id, amount, crc string) string { return md5hex(id + "&" + amount + "&" + crc + "&demo") }, "PL"},
		{transferuj.VariantPlain, map[string]string{"amount": "kwota", "description": "opis", "result": "wyn_url",
			"return": "pow_url", "error": "pow_url_blad", "lang": "jezyk"},
			func(id, amount, crc string) string { return md5hex(id + amount + crc + "demo") }, "pl"},
	} {
		t.Run(c.variant, func(t *testing.T) {
			t.Parallel()
			certs := newSpecCerts(t)
			b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", MD5Variant: c.variant, JWSPrefix: certs.srv.URL, RequireJWS: true})
			if err != nil {
				t.Fatal(err)
			}
			f := newFlow(t, b)
			p := f.pay(t, "o-1", getpaid.Money{Minor: 1000, Currency: "PLN"})
			rd := p.Redirect
			if rd == nil || rd.Method != http.MethodPost || rd.URL != "https://secure.tpay.com" {
				t.Fatalf("redirect %+v", rd)
			}
			fields := rd.Fields
			if fields["id"] != "1010" || fields[c.names["amount"]] != "10.00" || fields["crc"] != p.ID {
				t.Fatalf("form %v", fields)
			}
			if want := c.md5("1010", "10.00", p.ID); fields["md5sum"] != want {
				t.Errorf("md5sum %s, want %s", fields["md5sum"], want)
			}
			if fields[c.names["lang"]] != c.lang || fields[c.names["description"]] == "" {
				t.Errorf("form %v", fields)
			}
			result := fields[c.names["result"]]
			for _, k := range []string{"result", "return", "error"} {
				if fields[c.names[k]] == "" {
					t.Errorf("no %s", c.names[k])
				}
			}

			notify := func(body []byte, jws string) (int, string) {
				req, err := http.NewRequest(http.MethodPost, result, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if jws != "" {
					req.Header.Set("X-JWS-Signature", jws)
				}
				res, err := brokerhttp.Client(nil, 0, 0).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				a, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(a)
			}
			// Tpay may write tr_amount without trailing zeros; the md5sum
			// is over it formatted with two decimals (tpay-php).
			form := url.Values{"id": {"1010"}, "tr_id": {"TR-ABCD-TST1X"}, "tr_date": {"2026-12-02 08:00:00"},
				"tr_crc": {p.ID}, "tr_amount": {"10"}, "tr_paid": {"10"}, "tr_desc": {fields[c.names["description"]]},
				"tr_status": {"TRUE"}, "tr_error": {"none"}, "tr_email": {"jan@example.com"}, "test_mode": {"1"},
				"md5sum": {md5hex("1010" + "TR-ABCD-TST1X" + "10.00" + p.ID + "demo")}}
			body := []byte(form.Encode())
			if code, ans := notify(body, ""); code == http.StatusOK || ans == "TRUE" {
				t.Fatalf("notification without JWS answered %d %q", code, ans)
			}
			forged := bytes.Replace(body, []byte("tr_paid=10"), []byte("tr_paid=11"), 1)
			if code, ans := notify(forged, certs.sign(t, body)); code == http.StatusOK || ans == "TRUE" {
				t.Fatalf("edited notification answered %d %q", code, ans)
			}
			if got, _ := f.store.Payment(context.Background(), p.ID); got.Version != p.Version {
				t.Fatalf("refused notifications changed the payment")
			}
			if code, ans := notify(body, certs.sign(t, body)); code != http.StatusOK || ans != "TRUE" {
				t.Fatalf("notification answered %d %q, Tpay wants 200 TRUE", code, ans)
			}
			paid := f.wait(t, p.ID, getpaid.StatusPaid)
			if code, ans := notify(body, certs.sign(t, body)); code != http.StatusOK || ans != "TRUE" {
				t.Fatalf("repeated notification answered %d %q", code, ans)
			}
			if again, _ := f.store.Payment(context.Background(), p.ID); again.Version != paid.Version {
				t.Fatalf("a repeated notification changed the payment")
			}
		})
	}
}

// Tpay uses result_url only when the merchant panel allows overriding the
// notification URL (support.tpay.com form parameter table: "The Tpay
// system will use the URL provided in merchant panel or value of this
// parameter if you enable the overriding in merchant panel (notifications
// tab)"): the panel settings must say so, or every notification goes to
// the panel's address and no payment is ever marked paid by one.
func TestSpecTransferujPanelSettingsNotificationOverride(t *testing.T) {
	t.Parallel()
	b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	env := getpaid.Env{BaseURL: "https://shop.example/pay", Backend: "transferuj"}
	var found bool
	for _, s := range b.PanelSettings(env) {
		if strings.Contains(strings.ToLower(s.Name+" "+s.Value), "overrid") && strings.Contains(s.Value, env.CallbackURL()) {
			found = true
		}
	}
	if !found {
		t.Fatalf("panel settings do not say to allow overriding the notification URL (or set it to %s): %+v", env.CallbackURL(), b.PanelSettings(env))
	}
}

// The form's email takes at most 64 characters (tpay-php
// BasicFieldsDictionary: email maxlength 64). A longer address is left out
// (the field is optional): cut short it would be someone else's address.
func TestSpecTransferujLongEmailLeftOut(t *testing.T) {
	t.Parallel()
	b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.Env{BaseURL: "https://shop.example", Backend: "transferuj"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ email, want string }{
		{strings.Repeat("a", 52) + "@example.com", strings.Repeat("a", 52) + "@example.com"}, // 64
		{strings.Repeat("a", 53) + "@example.com", ""},                                       // 65
	} {
		p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.Money{Minor: 100, Currency: "PLN"}, Buyer: getpaid.Buyer{Email: c.email}}
		got, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
		if err != nil {
			t.Fatal(err)
		}
		if got.Redirect.Fields["email"] != c.want {
			t.Errorf("email of %d characters sent as %q, want %q", len(c.email), got.Redirect.Fields["email"], c.want)
		}
	}
}

// An accepted underpayment reports what was paid (tr_paid) apart from the
// transaction's amount (tr_amount; support.tpay.com developer FAQ "Jakie
// statusy mogą przyjąć powiadomienia POST o płatnościach?": tr_amount is the
// transaction's target amount). A genuine, signed notification of a
// transaction of another amount than the payment's is not this payment's:
// it is refused, as one reporting the other amount paid in full is, and
// changes nothing. One of the payment's amount is partially paid.
func TestSpecTransferujUnderpaymentOfAnotherAmount(t *testing.T) {
	t.Parallel()
	certs := newSpecCerts(t)
	b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", JWSPrefix: certs.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, b)
	p := f.pay(t, "o-under", getpaid.Money{Minor: 1000, Currency: "PLN"})
	result := p.Redirect.Fields["result_url"]
	notify := func(trAmount, trPaid string) (int, string) {
		t.Helper()
		n := &tpaynotify.Notification{ID: "1010", TrID: "TR-UNDR-TST1X", TrDate: "2026-12-02 08:00:00", TrCRC: p.ID,
			TrAmount: trAmount, TrPaid: trPaid, TrDesc: "Order o-under", TrStatus: tpaynotify.StatusTrue,
			TrError: tpaynotify.ErrorSurcharge, TrEmail: "jan@example.com", TestMode: "1"}
		n.Sign("demo")
		body := n.Encode()
		req, err := http.NewRequest(http.MethodPost, result, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-JWS-Signature", certs.sign(t, body))
		res, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		a, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(a)
	}
	for _, c := range []struct{ name, amount, paid string }{
		{"underpaid, a smaller transaction", "5.00", "4.00"},
		{"underpaid, a larger transaction", "20.00", "4.00"},
	} {
		if code, ans := notify(c.amount, c.paid); code != http.StatusUnprocessableEntity || ans == "TRUE" {
			t.Errorf("%s: answered %d %q, want 422 amount_mismatch", c.name, code, ans)
		}
	}
	if got, _ := f.store.Payment(context.Background(), p.ID); got.Version != p.Version || got.Captured != 0 {
		t.Fatalf("refused notifications changed the payment: %s captured %d", got.Status, got.Captured)
	}
	if code, ans := notify("10.00", "4.00"); code != http.StatusOK || ans != "TRUE" {
		t.Fatalf("underpayment of the payment's transaction answered %d %q", code, ans)
	}
	if got := f.wait(t, p.ID, getpaid.StatusPartiallyPaid); got.Captured != 400 {
		t.Fatalf("captured %d, want 400", got.Captured)
	}
}
