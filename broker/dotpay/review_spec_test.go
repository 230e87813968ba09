package dotpay_test

// Spec-derived checks written from the manual's and the SDK's text, without
// the package's helpers (no dotpay.Signature, no SignedFields): the URLC
// signature is concatenated here by hand in the order Dotpay documents, the
// chk document is written out as a literal, and each is hashed with the
// standard library.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// specURLC is a card payment URLC carrying every field the signature
// covers, each with a value distinct from its neighbours, so that any
// change of order or omission changes the signature.
var specURLC = [][2]string{
	{"id", "123456"},
	{"operation_number", "M1234-5678"},
	{"operation_type", "payment"},
	{"operation_status", "completed"},
	{"operation_amount", "212.35"},
	{"operation_currency", "PLN"},
	{"operation_withdrawal_amount", "208.31"},
	{"operation_commission_amount", "-4.04"},
	{"is_completed", "true"},
	{"operation_original_amount", "58.07"},
	{"operation_original_currency", "USD"},
	{"operation_datetime", "2026-03-01 10:11:12"},
	{"operation_related_number", "M0000-0001"},
	{"control", "pay_spec"},
	{"description", "Zamówienie nr 1 / ąę & <b>"},
	{"email", "jan+test@example.com"},
	{"p_info", "Sklep (sklep@example.com)"},
	{"p_email", "sklep@example.com"},
	{"credit_card_issuer_identification_number", "411111"},
	{"credit_card_masked_number", "XXXX XXXX XXXX 1111"},
	{"credit_card_expiration_year", "2030"},
	{"credit_card_expiration_month", "12"},
	{"credit_card_brand_codename", "visa"},
	{"credit_card_brand_code", "Visa"},
	{"credit_card_unique_identifier", "e3b0c44298fc1c14"},
	{"credit_card_id", "c1d2e3f4"},
	{"channel", "248"},
	{"channel_country", "POL"},
	{"geoip_country", "DEU"},
	{"payer_bank_account_name", "Jan Kowalski"},
	{"payer_bank_account", "PL61109010140000071219812874"},
	{"payer_transfer_title", "Zamowienie 1"},
	{"blik_voucher_pin", "1234"},
	{"blik_voucher_amount", "10.00"},
	{"blik_voucher_amount_used", "5.00"},
	{"channel_reference_id", "ref-9"},
	{"operation_seller_code", "SC1"},
}

// specSign is SHA-256 of the PIN followed by the values in the given order,
// written out without the package.
func specSign(pin string, fields [][2]string) string {
	s := pin
	for _, kv := range fields {
		s += kv[1]
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func specBody(fields [][2]string, signature string) []byte {
	v := url.Values{}
	for _, kv := range fields {
		v.Set(kv[0], kv[1])
	}
	v.Set("signature", signature)
	return []byte(v.Encode())
}

func specRequest(body []byte) *getpaid.CallbackRequest {
	return &getpaid.CallbackRequest{Method: http.MethodPost, Body: body, RemoteIP: "195.150.9.37",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
}

// TestSpecURLCSignatureEveryField: a URLC with every optional field
// (card, bank account, BLIK voucher, channel reference, seller code), signed
// by hand in the manual's order, is accepted and read as the shop's original
// amount; changing any one field, swapping two neighbours' order, or
// leaving the PIN out is refused as a bad signature.
func TestSpecURLCSignatureEveryField(t *testing.T) {
	t.Parallel()
	const pin = "Np3n4QmXxp6MOTrLCVs905fdrGf3QIGm"
	b := newBrokerWith(t, "123456", pin)
	sig := specSign(pin, specURLC)
	o, err := b.ParseCallback(context.Background(), specRequest(specBody(specURLC, sig)))
	if err != nil {
		t.Fatalf("hand-signed URLC refused: %v", err)
	}
	if o.Kind != getpaid.KindCaptured || o.Amount != getpaid.MustParseMoney("58.07", "USD") || o.PaymentID != "pay_spec" {
		t.Fatalf("got %+v", o)
	}
	// Upper-case hex is the same signature.
	if _, err := b.ParseCallback(context.Background(), specRequest(specBody(specURLC, strings.ToUpper(sig)))); err != nil {
		t.Fatalf("upper-case signature refused: %v", err)
	}
	type bad struct {
		name string
		body []byte
	}
	var cases []bad
	for i := range specURLC {
		changed := append([][2]string(nil), specURLC...)
		changed[i][1] += "x"
		// The signature stays the genuine one: the field was changed in transit.
		cases = append(cases, bad{"tampered " + specURLC[i][0], specBody(changed, sig)})
	}
	for i := 0; i+1 < len(specURLC); i++ {
		swapped := append([][2]string(nil), specURLC...)
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
		cases = append(cases, bad{"order " + specURLC[i][0] + "/" + specURLC[i+1][0], specBody(specURLC, specSign(pin, swapped))})
	}
	cases = append(cases, bad{"no PIN", specBody(specURLC, specSign("", specURLC))})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.ParseCallback(context.Background(), specRequest(c.body))
			if !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("got %v, want ErrSignatureInvalid", err)
			}
		})
	}
}

// TestSpecFactSheetURLCVector is brokers.md 4.6's URLC vector, concatenated
// here from its fields.
func TestSpecFactSheetURLCVector(t *testing.T) {
	t.Parallel()
	fields := [][2]string{{"id", "123"}, {"operation_number", "MI-5"}, {"operation_type", "payment"},
		{"operation_status", "completed"}, {"operation_amount", "212.35"}, {"operation_currency", "PLN"},
		{"operation_original_amount", "58.07"}, {"operation_original_currency", "USD"},
		{"operation_datetime", "2018-02-28 12:00:00"}, {"control", "1"}, {"description", "Order #1"},
		{"email", "user@example.org"}, {"p_info", "John Doe (seller@example.com)"}, {"p_email", "seller@example.com"},
		{"channel", "1"}}
	const want = "2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221"
	if got := specSign("123", fields); got != want {
		t.Fatalf("hand concatenation %s, fact sheet %s", got, want)
	}
	b := newBrokerWith(t, "123", "123")
	if _, err := b.ParseCallback(context.Background(), specRequest(specBody(fields, want))); err != nil {
		t.Fatalf("fact sheet vector refused: %v", err)
	}
}

// TestSpecChkNextOptionalFields: Prepare's chk for a form with the optional
// buyer fields (Polish letters in the name and description, a "/" in the
// URLs) is HMAC-SHA256 with the PIN over the document written out below as
// PHP's json_encode(..., JSON_UNESCAPED_SLASHES) writes it: keys sorted,
// paramsList added, non-ASCII as lower-case \u escapes, "/" as is.
func TestSpecChkNextOptionalFields(t *testing.T) {
	t.Parallel()
	const pin = "pin123abc"
	params := map[string]string{
		"id": "123456", "amount": "123.00", "currency": "PLN", "description": "Zażółć / gęślą",
		"control": "pay_1", "url": "https://shop.example/success/pay_1", "urlc": "https://shop.example/callback/dotpay",
		"type": "0", "api_version": "next", "lang": "pl", "email": "jan@example.com",
		"firstname": "Łukasz", "lastname": "Gęba",
	}
	doc := `{"amount":"123.00","api_version":"next","control":"pay_1","currency":"PLN",` +
		`"description":"Za\u017c\u00f3\u0142\u0107 / g\u0119\u015bl\u0105","email":"jan@example.com",` +
		`"firstname":"\u0141ukasz","id":"123456","lang":"pl","lastname":"G\u0119ba",` +
		`"paramsList":"amount;api_version;control;currency;description;email;firstname;id;lang;lastname;type;url;urlc",` +
		`"type":"0","url":"https://shop.example/success/pay_1","urlc":"https://shop.example/callback/dotpay"}`
	m := hmac.New(sha256.New, []byte(pin))
	m.Write([]byte(doc))
	want := hex.EncodeToString(m.Sum(nil))
	if got := dotpay.ChkNext(pin, params); got != want {
		t.Fatalf("ChkNext %s, hand-written document %s", got, want)
	}
}

func newBrokerWith(t *testing.T, shop, pin string) *dotpay.Broker {
	t.Helper()
	b, err := dotpay.New(dotpay.Config{ShopID: shop, PIN: pin})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecURLCAsMultipartForm: the manual says only that the URLC is POSTed
// (PHP's $_POST reads a urlencoded and a multipart/form-data body alike,
// and a sender using PHP's cURL with an array sends the latter). A
// multipart URLC is read the same way: accepted when its signature holds,
// refused as a bad signature when a field was changed, malformed when it
// carries a file or a field twice.
func TestSpecURLCAsMultipartForm(t *testing.T) {
	t.Parallel()
	const pin = "Np3n4QmXxp6MOTrLCVs905fdrGf3QIGm"
	b := newBrokerWith(t, "123456", pin)
	sig := specSign(pin, specURLC)
	multipartBody := func(fields [][2]string, extra func(*multipart.Writer)) *getpaid.CallbackRequest {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, kv := range fields {
			if err := w.WriteField(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if extra != nil {
			extra(w)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		req := specRequest(buf.Bytes())
		req.Header.Set("Content-Type", w.FormDataContentType())
		return req
	}
	withSig := append(append([][2]string(nil), specURLC...), [2]string{"signature", sig})
	o, err := b.ParseCallback(context.Background(), multipartBody(withSig, nil))
	if err != nil {
		t.Fatalf("multipart URLC refused: %v", err)
	}
	if o.Kind != getpaid.KindCaptured || o.Amount != getpaid.MustParseMoney("58.07", "USD") || o.EventID != "M1234-5678:completed" {
		t.Fatalf("got %+v", o)
	}
	if err := b.VerifyCallback(context.Background(), multipartBody(withSig, nil)); err != nil {
		t.Fatalf("VerifyCallback on a multipart URLC: %v", err)
	}
	tampered := append([][2]string(nil), withSig...)
	tampered[4][1] = "999.99" // operation_amount
	if _, err := b.ParseCallback(context.Background(), multipartBody(tampered, nil)); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("tampered multipart URLC: got %v, want ErrSignatureInvalid", err)
	}
	withFile := multipartBody(withSig, func(w *multipart.Writer) {
		fw, err := w.CreateFormFile("attachment", "a.txt")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte("x"))
	})
	if _, err := b.ParseCallback(context.Background(), withFile); !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Fatalf("multipart URLC with a file: got %v, want ErrMalformedCallback", err)
	}
	twice := append(append([][2]string(nil), withSig...), [2]string{"control", "pay_other"})
	if _, err := b.ParseCallback(context.Background(), multipartBody(twice, nil)); !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Fatalf("multipart URLC with a field twice: got %v, want ErrMalformedCallback", err)
	}
}

// TestSpecChkDevManualOrder: the legacy chk (api_version dev) is SHA-256 of
// the PIN and the parameters in the order of the manual's GenerateChk
// ("Full Example"), in which surcharge_amount and surcharge (written twice
// there) come between credit_card_registration and
// ignore_last_payment_channel. Concatenated here by hand.
func TestSpecChkDevManualOrder(t *testing.T) {
	t.Parallel()
	const pin = "pin123abc"
	params := map[string]string{
		"api_version": "dev", "lang": "pl", "id": "123456", "amount": "123.00", "currency": "PLN",
		"description": "Test", "control": "ORDER-1", "url": "https://example.com/return", "type": "4",
		"urlc": "https://example.com/urlc", "credit_card_registration": "R", "surcharge_amount": "1.50",
		"surcharge": "S", "ignore_last_payment_channel": "I",
	}
	s := pin + "dev" + "pl" + "123456" + "123.00" + "PLN" + "Test" + "ORDER-1" + "https://example.com/return" + "4" +
		"https://example.com/urlc" + "R" + "1.50" + "S" + "S" + "I"
	sum := sha256.Sum256([]byte(s))
	want := hex.EncodeToString(sum[:])
	if got := dotpay.ChkDev(pin, params); got != want {
		t.Fatalf("ChkDev %s, the manual's order %s", got, want)
	}
	if got := dotpay.Chk(pin, params); got != want {
		t.Fatalf("Chk %s, the manual's order %s", got, want)
	}
}
