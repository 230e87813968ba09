package tpay_test

// A fake of Tpay written from Tpay's public documents, not from tpaytest:
// docs-api.tpay.com (first-steps/authorization: POST /oauth/auth,
// application/x-www-form-urlencoded client_id and client_secret;
// first-steps/first-transaction: POST /transactions with a JSON body whose
// amount is a number in major units, payer, callbacks), tpay-openapi-php
// (ApiAction: Bearer token, JSON; NotificationBody/BasicPayment: the form
// fields of a notification; JWSVerifiedPaymentNotification: md5sum over id,
// tr_id, tr_amount formatted with two decimals, tr_crc and the security
// code, and a detached RS256 JWS in X-JWS-Signature whose x5u lies under
// https://secure.tpay.com and whose certificate is signed by
// /x509/tpay-jws-root.pem) and support.tpay.com ("How to collect POST
// notification": answer the word TRUE).

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
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// specPKI is a root and a signing certificate minted for the fake.
type specPKI struct {
	rootPEM, leafPEM []byte
	key              *rsa.PrivateKey
}

func newSpecPKI(t *testing.T) *specPKI {
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
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake Tpay JWS root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fake Tpay notifications"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafT, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	return &specPKI{rootPEM: enc(rootDER), leafPEM: enc(leafDER), key: leafKey}
}

// sign returns the detached compact JWS Tpay puts in X-JWS-Signature.
func (p *specPKI) sign(t *testing.T, x5u string, body []byte) string {
	t.Helper()
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "x5u": x5u})
	h := base64.RawURLEncoding.EncodeToString(hdr)
	sum := sha256.Sum256([]byte(h + "." + base64.RawURLEncoding.EncodeToString(body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return h + ".." + base64.RawURLEncoding.EncodeToString(sig)
}

// specTx is what the fake keeps of a transaction.
type specTx struct {
	id, title, amount, crc, notifyURL string
	status, paid                      string
	refunds                           []map[string]any
}

// specTpay is the fake broker. Variants the documents allow are switched on
// by its fields.
type specTpay struct {
	t   *testing.T
	pki *specPKI
	srv *httptest.Server

	createCode   int  // the status POST /transactions answers (200 unless set)
	amountString bool // answer amounts as JSON strings

	mu        sync.Mutex
	problems  []string
	tokens    int
	creates   []map[string]any
	refundIns []map[string]any
	txs       map[string]*specTx
}

func newSpecTpay(t *testing.T) *specTpay {
	f := &specTpay{t: t, pki: newSpecPKI(t), txs: map[string]*specTx{}, createCode: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *specTpay) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, sprintf(format, args...))
}

func (f *specTpay) amount(s string) any {
	if f.amountString {
		return s
	}
	return json.Number(s)
}

func (f *specTpay) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/x509/tpay-jws-root.pem":
		w.Write(f.pki.rootPEM)
		return
	case r.URL.Path == "/x509/notifications-jws.pem":
		w.Write(f.pki.leafPEM)
		return
	case r.URL.Path == "/oauth/auth":
		if r.Method != http.MethodPost {
			f.problem("oauth: method %s", r.Method)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			f.problem("oauth: Content-Type %q, docs say application/x-www-form-urlencoded", ct)
		}
		form, _ := url.ParseQuery(string(body))
		if form.Get("client_id") != "cid-01" || form.Get("client_secret") != "csecret" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"bad credentials"}`)
			return
		}
		f.mu.Lock()
		f.tokens++
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"issued_at": time.Now().Unix(), "scope": "read", "token_type": "Bearer",
			"expires_in": 7200, "client_id": "cid-01", "access_token": "spec-token"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer spec-token" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"result": "failed", "errors": []any{map[string]any{"errorCode": "unauthorized"}}})
		return
	}
	var in map[string]any
	if len(body) > 0 {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			f.problem("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			f.problem("%s %s: body not JSON: %v", r.Method, r.URL.Path, err)
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/transactions":
		f.create(w, in)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "transactions":
		f.mu.Lock()
		tx := f.txs[parts[1]]
		f.mu.Unlock()
		if tx == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"result": "failed"})
			return
		}
		writeJSON(w, http.StatusOK, f.txJSON(tx))
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "refunds":
		f.mu.Lock()
		tx := f.txs[parts[1]]
		f.refundIns = append(f.refundIns, in)
		f.mu.Unlock()
		if tx == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"result": "failed"})
			return
		}
		amt := tx.amount
		if n, ok := in["amount"].(json.Number); ok {
			amt = n.String()
		}
		rf := map[string]any{"refundId": "rf_" + tx.id, "amount": f.amount(amt), "status": "correct", "date": "2026-12-02 08:00:00"}
		f.mu.Lock()
		tx.refunds = append(tx.refunds, rf)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"result": "success", "requestId": "rq-1", "transactionId": tx.id,
			"title": tx.title, "status": "correct", "refundId": "rf_" + tx.id, "amount": f.amount(amt), "currency": "PLN", "extra": map[string]any{"x": 1}})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "refunds":
		f.mu.Lock()
		tx := f.txs[parts[1]]
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"result": "success", "refunds": tx.refunds})
	default:
		f.problem("unexpected %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]any{"result": "failed"})
	}
}

func (f *specTpay) create(w http.ResponseWriter, in map[string]any) {
	f.mu.Lock()
	f.creates = append(f.creates, in)
	n := len(f.txs) + 1
	f.mu.Unlock()
	amt, ok := in["amount"].(json.Number)
	if !ok {
		f.problem("create: amount %#v is not a JSON number", in["amount"])
		writeJSON(w, http.StatusBadRequest, map[string]any{"result": "failed", "errors": []any{map[string]any{"errorCode": "field_invalid", "fieldName": "amount"}}})
		return
	}
	payer, _ := in["payer"].(map[string]any)
	cb, _ := in["callbacks"].(map[string]any)
	notif, _ := cb["notification"].(map[string]any)
	notifyURL, _ := notif["url"].(string)
	if payer["email"] == nil || payer["name"] == nil || in["description"] == nil || notifyURL == "" {
		f.problem("create: required field missing in %v", in)
	}
	crc, _ := in["hiddenDescription"].(string)
	tx := &specTx{id: sprintf("01SPEC%04dTX", n), title: sprintf("TR-SPC-%04dX", n), amount: amt.String(), crc: crc,
		notifyURL: notifyURL, status: "pending", paid: "0"}
	f.mu.Lock()
	f.txs[tx.id] = tx
	f.mu.Unlock()
	out := f.txJSON(tx)
	out["transactionPaymentUrl"] = "https://secure.tpay.com/?title=" + tx.title + "&uid=01SPEC"
	out["requestId"] = "rq-" + tx.id
	writeJSON(w, f.createCode, out)
}

func (f *specTpay) txJSON(tx *specTx) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return map[string]any{"result": "success", "transactionId": tx.id, "title": tx.title, "posId": "ps_spec",
		"status": tx.status, "date": map[string]any{"creation": "2026-12-02 08:00:00", "realization": nil},
		"amount": f.amount(tx.amount), "currency": "PLN", "description": "d", "hiddenDescription": tx.crc,
		"payer":    map[string]any{"payerId": "py_1", "email": "jan@example.com", "name": "Jan Kowalski"},
		"payments": map[string]any{"status": tx.status, "method": "pay_by_link", "amountPaid": f.amount(tx.paid), "date": map[string]any{"realization": nil}}}
}

// notification builds the body and header Tpay POSTs for tx: the fields of
// BasicPayment, the md5sum and the JWS.
func (f *specTpay) notification(t *testing.T, tx *specTx, status, paid, code string) ([]byte, http.Header) {
	t.Helper()
	sum := md5.Sum([]byte("1010" + tx.title + tx.amount + tx.crc + code))
	form := url.Values{
		"id": {"1010"}, "tr_id": {tx.title}, "tr_date": {"2026-12-02 08:01:02"}, "tr_crc": {tx.crc},
		"tr_amount": {tx.amount}, "tr_paid": {paid}, "tr_desc": {"Order"}, "tr_status": {status}, "tr_error": {"none"},
		"tr_email": {"jan@example.com"}, "md5sum": {hex.EncodeToString(sum[:])}, "test_mode": {"1"}, "tr_channel": {"21"},
	}
	body := []byte(form.Encode())
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-JWS-Signature", f.pki.sign(t, f.srv.URL+"/x509/notifications-jws.pem", body))
	return body, h
}

func (f *specTpay) tx(t *testing.T) *specTx {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.txs) != 1 {
		t.Fatalf("%d transactions at the fake", len(f.txs))
	}
	for _, tx := range f.txs {
		return tx
	}
	return nil
}

func (f *specTpay) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.problems {
		t.Errorf("fake Tpay: %s", p)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func specBroker(t *testing.T, f *specTpay) *tpay.Broker {
	t.Helper()
	b, err := tpay.New(tpay.Config{ClientID: "cid-01", ClientSecret: "csecret", MerchantID: 1010, SecurityCode: "demo",
		APIURL: f.srv.URL, JWSPrefix: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post delivers a notification to getpaid the way Tpay does and returns the
// answer.
func post(t *testing.T, f *flow, notifyURL string, body []byte, h http.Header) (int, string) {
	t.Helper()
	u, err := url.Parse(notifyURL)
	if err != nil || !strings.HasPrefix(notifyURL, f.url) {
		t.Fatalf("notification URL %q is not getpaid's (%s)", notifyURL, f.url)
	}
	req, _ := http.NewRequest(http.MethodPost, f.url+u.RequestURI(), bytes.NewReader(body))
	req.Header = h.Clone()
	res, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestSpecFakeRequests(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name         string
		code         int
		amountString bool
	}{{"documented", http.StatusOK, false}, {"201 and amounts as strings", http.StatusCreated, true}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			fake := newSpecTpay(t)
			fake.createCode, fake.amountString = v.code, v.amountString
			f := newFlow(t, specBroker(t, fake))
			p := f.pay(t, "o-1", getpaid.Money{Minor: 12345, Currency: "PLN"})
			fake.check(t)
			if p.Redirect == nil || p.Redirect.Method != http.MethodGet || !strings.HasPrefix(p.Redirect.URL, "https://secure.tpay.com/?title=TR-SPC-0001X") {
				t.Fatalf("redirect %+v", p.Redirect)
			}
			fake.mu.Lock()
			in := fake.creates[0]
			fake.mu.Unlock()
			raw, _ := json.Marshal(in)
			for _, want := range []string{`"amount":123.45`, `"currency":"PLN"`, `"hiddenDescription":"` + p.ID + `"`,
				`"email":"jan@example.com"`, `"name":"Jan Kowalski"`, `"lang":"pl"`} {
				if !strings.Contains(string(raw), want) {
					t.Errorf("create body %s lacks %s", raw, want)
				}
			}
			cb := in["callbacks"].(map[string]any)
			urls := cb["payerUrls"].(map[string]any)
			if s, _ := urls["success"].(string); !strings.HasPrefix(s, f.url) || !strings.Contains(s, p.ID) {
				t.Errorf("payerUrls.success %q", s)
			}
			if s, _ := urls["error"].(string); !strings.HasPrefix(s, f.url) || !strings.Contains(s, p.ID) {
				t.Errorf("payerUrls.error %q", s)
			}
			tx := fake.tx(t)
			if tx.notifyURL == "" {
				t.Fatal("no callbacks.notification.url")
			}
			// Paid: the notification as the SDK describes it is acknowledged TRUE.
			body, h := fake.notification(t, tx, "TRUE", tx.amount, "demo")
			if code, ans := post(t, f, tx.notifyURL, body, h); code != http.StatusOK || ans != "TRUE" {
				t.Fatalf("notification answered %d %q, Tpay wants 200 TRUE", code, ans)
			}
			paid := f.wait(t, p.ID, getpaid.StatusPaid)
			// The same notification again changes nothing and is acknowledged.
			if code, ans := post(t, f, tx.notifyURL, body, h); code != http.StatusOK || ans != "TRUE" {
				t.Fatalf("repeated notification answered %d %q", code, ans)
			}
			again, err := f.store.Payment(context.Background(), p.ID)
			if err != nil || again.Version != paid.Version || again.Captured != paid.Captured {
				t.Fatalf("a repeated notification changed the payment: %+v -> %+v (%v)", paid, again, err)
			}
			// A partial refund: POST /transactions/{id}/refunds {"amount": 20.00}.
			fake.mu.Lock()
			tx.status, tx.paid = "correct", tx.amount
			fake.mu.Unlock()
			if _, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &getpaid.Money{Minor: 2000, Currency: "PLN"}}); err != nil {
				t.Fatalf("refund: %v", err)
			}
			fake.check(t)
			fake.mu.Lock()
			rin := fake.refundIns
			fake.mu.Unlock()
			if len(rin) != 1 {
				t.Fatalf("%d refund requests", len(rin))
			}
			if a, ok := rin[0]["amount"].(json.Number); !ok || a.String() != "20.00" {
				t.Errorf("refund body %v: want amount 20.00 as a number", rin[0])
			}
			// Tpay's CHARGEBACK notification of that refund is acknowledged
			// and counted once with the refund's answer.
			cbBody, ch := fake.notification(t, tx, "CHARGEBACK", "20.00", "demo")
			if code, ans := post(t, f, tx.notifyURL, cbBody, ch); code != http.StatusOK || ans != "TRUE" {
				t.Fatalf("CHARGEBACK answered %d %q", code, ans)
			}
			after, err := f.store.Payment(context.Background(), p.ID)
			if err != nil || after.Refunded != 2000 || after.Captured != 12345 {
				t.Fatalf("after refund and its CHARGEBACK: %+v (%v)", after, err)
			}
			// One token (expires_in 7200) serves every call.
			fake.mu.Lock()
			tokens := fake.tokens
			fake.mu.Unlock()
			if tokens != 1 {
				t.Errorf("%d OAuth tokens fetched, want 1", tokens)
			}
		})
	}
}

// Tampered notifications are refused, without TRUE, and change nothing.
func TestSpecFakeTamperedNotifications(t *testing.T) {
	t.Parallel()
	fake := newSpecTpay(t)
	f := newFlow(t, specBroker(t, fake))
	p := f.pay(t, "o-2", getpaid.Money{Minor: 1000, Currency: "PLN"})
	tx := fake.tx(t)
	good, h := fake.notification(t, tx, "TRUE", tx.amount, "demo")
	wrongCode, hw := fake.notification(t, tx, "TRUE", tx.amount, "other")
	edited := bytes.Replace(good, []byte("tr_desc=Order"), []byte("tr_desc=Edited"), 1)
	noJWS := h.Clone()
	noJWS.Del("X-JWS-Signature")
	foreign := h.Clone()
	foreign.Set("X-JWS-Signature", fake.pki.sign(t, "https://evil.example/x509/notifications-jws.pem", good))
	for _, c := range []struct {
		name string
		body []byte
		h    http.Header
	}{
		{"md5sum with another code", wrongCode, hw},
		{"body edited after signing", edited, h},
		{"no JWS", good, noJWS},
		{"x5u outside the prefix", good, foreign},
	} {
		code, ans := post(t, f, tx.notifyURL, c.body, c.h)
		if code == http.StatusOK || strings.TrimSpace(ans) == "TRUE" {
			t.Errorf("%s: answered %d %q", c.name, code, ans)
		}
	}
	got, err := f.store.Payment(context.Background(), p.ID)
	if err != nil || got.Status != p.Status || got.Version != p.Version {
		t.Fatalf("refused notifications changed the payment: %+v -> %+v (%v)", p, got, err)
	}
}

// The payer fields keep to tpay-openapi-php's field rules
// (Model/Fields/Transaction/Lang.php: en pl de fr ru it es;
// Model/Fields/Address/Phone.php: at most 30 characters): every language
// the panel speaks is passed on, and a phone Tpay would refuse is left out
// (it is optional) rather than failing the payment.
func TestSpecFakePayerFields(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lang, phone         string
		wantLang, wantPhone string
	}{
		{"de", "+48 600 100 200", "de", "+48 600 100 200"},
		{"FR", "", "fr", ""},
		{"ru", "", "ru", ""},
		{"it", "", "it", ""},
		{"es", "", "es", ""},
		{"uk", "", "", ""},
		{"pl", "+48 (22) 600-100-200 / 300 4000", "pl", ""},                              // 31 characters
		{"en", "+48 (22) 600-100-200 / 300 400", "en", "+48 (22) 600-100-200 / 300 400"}, // 30
	} {
		t.Run(c.lang, func(t *testing.T) {
			t.Parallel()
			fake := newSpecTpay(t)
			b := specBroker(t, fake)
			if err := b.Provision(context.Background(), getpaid.Env{BaseURL: "https://shop.example", Backend: "tpay"}); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.Money{Minor: 100, Currency: "PLN"},
				Buyer: getpaid.Buyer{Email: "a@example.com", FirstName: "A", Language: c.lang, Phone: c.phone}}
			if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p}); err != nil {
				t.Fatal(err)
			}
			fake.mu.Lock()
			in := fake.creates[0]
			fake.mu.Unlock()
			lang, _ := in["lang"].(string)
			phone, _ := in["payer"].(map[string]any)["phone"].(string)
			if lang != c.wantLang || phone != c.wantPhone {
				t.Errorf("lang %q phone %q, want %q %q", lang, phone, c.wantLang, c.wantPhone)
			}
		})
	}
}
