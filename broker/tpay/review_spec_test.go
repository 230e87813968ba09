package tpay_test

// Tests written from Tpay's public documentation alone (docs-api.tpay.com:
// first-steps/authorization, first-steps/first-transaction, webhooks; the
// JWSVerifiedPaymentNotification of tpay-com/tpay-openapi-php), with their
// own fake of Tpay: nothing here comes from tpaytest or tpaynotify.

import (
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
	"errors"
	"math/big"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

// revTpay is a fake Tpay OpenAPI written from the docs: OAuth answers only
// a form-encoded client_id and client_secret, POST /transactions answers
// with create (the JSON body).
type revTpay struct {
	t      *testing.T
	create string
}

func (f *revTpay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/auth":
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/x-www-form-urlencoded" || r.PostFormValue("client_id") != "cid" || r.PostFormValue("client_secret") != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issued_at":1718220575,"scope":"read","token_type":"Bearer","expires_in":7200,"client_id":"cid","access_token":"tok"}`))
	case r.Method == http.MethodPost && r.URL.Path == "/transactions":
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(f.create))
	default:
		http.NotFound(w, r)
	}
}

func revPayment(id string, minor int64) *getpaid.Payment {
	return &getpaid.Payment{ID: id, Backend: "tpay", Amount: getpaid.Money{Minor: minor, Currency: "PLN"}, Description: "Test transaction",
		Buyer: getpaid.Buyer{Email: "jan.nowak@example.com", FirstName: "Jan", LastName: "Nowak"}}
}

// TestReviewCreateAnswers: the docs' example answer to POST /transactions, and
// an answer with only the fields the docs say it always holds (result,
// status, transactionId, transactionPaymentUrl), both register the payment.
func TestReviewCreateAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"docs example", `{"result":"success","requestId":"d3a9826d92c48cb8c185","transactionId":"01K5BK4HEPB0WBCGT51FMTYSYJ","title":"TR-CWM-CS7LW1X","posId":"ps_e4dkPVDEm4Jg726q","status":"pending","date":{"creation":"2024-06-12 21:29:35","realization":null},"amount":0.1,"currency":"PLN","description":"Test transaction","hiddenDescription":"pay_1","payer":{"payerId":"py_a9rjlZWxRLdG1bqY","email":"jan.nowak@example.com","name":"Jan Nowak","phone":"","address":"","city":"","country":"PL","postalCode":""},"payments":{"status":"pending","method":null,"amountPaid":0,"date":{"realization":null}},"transactionPaymentUrl":"https://secure.tpay.com/?title=TR-CWM-CS7LW1X"}`},
		{"always-present fields only", `{"result":"success","status":"pending","transactionId":"01K5BK4HEPB0WBCGT51FMTYSYJ","transactionPaymentUrl":"https://secure.tpay.com/?title=TR-CWM-CS7LW1X"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(&revTpay{t: t, create: tc.body})
			defer srv.Close()
			b, err := tpay.New(tpay.Config{ClientID: "cid", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "demo", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Provision(context.Background(), getpaid.Env{Backend: "tpay", BaseURL: "https://shop.example/gp"}); err != nil {
				t.Fatal(err)
			}
			got, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: revPayment("pay_1", 10)})
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if got.ExternalID != "01K5BK4HEPB0WBCGT51FMTYSYJ" || got.Redirect == nil || got.Redirect.URL != "https://secure.tpay.com/?title=TR-CWM-CS7LW1X" {
				t.Fatalf("Prepare = %+v", got)
			}
		})
	}
}

// revPKI is a root and a signing certificate, as Tpay serves them under its
// prefix (/x509/tpay-jws-root.pem, /x509/notifications-jws.pem).
type revPKI struct {
	key  *rsa.PrivateKey
	srv  *httptest.Server
	x5u  string
	root *rsa.PrivateKey
}

func newRevPKI(t *testing.T) *revPKI {
	t.Helper()
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Tpay JWS root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, _ := x509.ParseCertificate(rootDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "notifications-jws"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, rootCert, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"/x509/tpay-jws-root.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}),
		"/x509/notifications-jws.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
	}
	p := &revPKI{key: leafKey, root: rootKey}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			_, _ = w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(p.srv.Close)
	p.x5u = p.srv.URL + "/x509/notifications-jws.pem"
	return p
}

// sign is the X-JWS-Signature Tpay sends: header..signature, RS256 over
// base64url(header) "." base64url(body), with key.
func (p *revPKI) sign(t *testing.T, key *rsa.PrivateKey, body []byte) string {
	t.Helper()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","x5u":"` + p.x5u + `"}`))
	d := sha256.Sum256([]byte(h + "." + base64.RawURLEncoding.EncodeToString(body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return h + ".." + base64.RawURLEncoding.EncodeToString(sig)
}

// revNotification is a basic payment notification, md5sum computed by hand:
// md5(id + tr_id + tr_amount + tr_crc + security code).
func revNotification(f map[string]string, code string) []byte {
	sum := md5.Sum([]byte(f["id"] + f["tr_id"] + f["tr_amount"] + f["tr_crc"] + code))
	v := url.Values{}
	for k, x := range f {
		v.Set(k, x)
	}
	v.Set("md5sum", hex.EncodeToString(sum[:]))
	return []byte(v.Encode())
}

// TestReviewNotification: a notification signed as Tpay signs it is taken; one
// with any field changed after signing, or signed by another key, is not.
func TestReviewNotification(t *testing.T) {
	t.Parallel()
	p := newRevPKI(t)
	b, err := tpay.New(tpay.Config{ClientID: "cid", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "demo",
		APIURL: "http://127.0.0.1:1", JWSPrefix: p.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"id": "1010", "tr_id": "TR-CWM-CS7LW1X", "tr_date": "2024-06-12 21:35:10", "tr_crc": "pay_1",
		"tr_amount": "0.10", "tr_paid": "0.10", "tr_desc": "Test transaction", "tr_status": "TRUE", "tr_error": "none",
		"tr_email": "jan.nowak@example.com", "test_mode": "1"}
	good := revNotification(base, "demo")
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	tamper := func(k, v string) []byte {
		vals, _ := url.ParseQuery(string(good))
		vals.Set(k, v)
		return []byte(vals.Encode())
	}
	for _, tc := range []struct {
		name string
		body []byte
		jws  string
		ok   bool
	}{
		{"signed as Tpay signs", good, p.sign(t, p.key, good), true},
		{"tr_status changed after signing", tamper("tr_status", "CHARGEBACK"), p.sign(t, p.key, good), false},
		{"tr_paid changed after signing", tamper("tr_paid", "0.01"), p.sign(t, p.key, good), false},
		{"tr_amount changed, md5 and JWS kept", tamper("tr_amount", "1.10"), p.sign(t, p.key, good), false},
		{"tr_amount changed and JWS remade by another key", tamper("tr_amount", "1.10"), p.sign(t, other, tamper("tr_amount", "1.10")), false},
		{"md5sum of another security code", revNotification(base, "other"), p.sign(t, p.key, revNotification(base, "other")), false},
		{"no JWS", good, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tc.jws != "" {
				h.Set("X-JWS-Signature", tc.jws)
			}
			o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Header: h, Body: tc.body})
			if tc.ok {
				if err != nil {
					t.Fatalf("ParseCallback: %v", err)
				}
				if o.PaymentID != "pay_1" || o.Kind != getpaid.KindCaptured || o.Amount != (getpaid.Money{Minor: 10, Currency: "PLN"}) || !o.Full {
					t.Fatalf("observation %+v", o)
				}
				return
			}
			if !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("ParseCallback = %v, %v; want ErrSignatureInvalid", o, err)
			}
		})
	}
}

// TestReviewNotificationEncodings: tpay-openapi-php's
// JWSVerifiedPaymentNotification reads a notification as JSON when its
// Content-Type says so, as a form otherwise, and tells a payment (tr_id)
// from the other types (type: tokenization, token_update, ...) whichever
// the encoding; its tests sign each type both ways. A payment sent as JSON
// is a payment (never acknowledged unread), and another type sent as a
// form is acknowledged once its JWS verifies.
func TestReviewNotificationEncodings(t *testing.T) {
	t.Parallel()
	p := newRevPKI(t)
	b, err := tpay.New(tpay.Config{ClientID: "cid", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "demo",
		APIURL: "http://127.0.0.1:1", JWSPrefix: p.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("1010" + "TR-CWM-CS7LW1X" + "144.69" + "pay_1" + "demo"))
	md5sum := hex.EncodeToString(sum[:])
	payment := `{"id":"1010","tr_id":"TR-CWM-CS7LW1X","tr_date":"2024-12-10 09:27:59","tr_crc":"pay_1","tr_amount":"144.69","tr_paid":"144.69","tr_desc":"Order","tr_status":"PAID","tr_error":"none","tr_email":"test@example.com","md5sum":"` + md5sum + `","test_mode":"0"}`
	paymentNumbers := `{"id":1010,"tr_id":"TR-CWM-CS7LW1X","tr_date":"2024-12-10 09:27:59","tr_crc":"pay_1","tr_amount":144.69,"tr_paid":144.69,"tr_desc":"Order","tr_status":"PAID","tr_error":"none","tr_email":"test@example.com","md5sum":"` + md5sum + `","test_mode":0}`
	tokenization := "type=tokenization&data%5BtokenizationId%5D=TO-1234&data%5Btoken%5D=1234567890&data%5BcardBrand%5D=Mastercard&data%5BcardTail%5D=1111&data%5BtokenExpiryDate%5D=0625"
	for _, tc := range []struct {
		name, ct, body string
		kind           getpaid.Kind
		paid           int64
	}{
		{"payment as JSON", "application/json", payment, getpaid.KindCaptured, 14469},
		{"payment as JSON with numbers", "application/json", paymentNumbers, getpaid.KindCaptured, 14469},
		{"tokenization as a form", "application/x-www-form-urlencoded", tokenization, getpaid.KindNone, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tc.body)
			h := http.Header{"Content-Type": {tc.ct}}
			h.Set("X-JWS-Signature", p.sign(t, p.key, body))
			o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: body})
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if o.Kind != tc.kind || o.Amount.Minor != tc.paid || (tc.paid > 0 && o.PaymentID != "pay_1") {
				t.Fatalf("observation %+v", o)
			}
			other, _ := rsa.GenerateKey(rand.Reader, 2048)
			h.Set("X-JWS-Signature", p.sign(t, other, body))
			if _, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: body}); !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("signed by another key: %v", err)
			}
		})
	}
}
