package tpaynotify

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Transaction statuses in a notification's tr_status.
const (
	StatusTrue       = "TRUE"       // paid (tr_paid may differ from tr_amount when the merchant accepts it)
	StatusPaid       = "PAID"       // paid, first step of two-step acceptance; TRUE or CHARGEBACK follows
	StatusFalse      = "FALSE"      // an error: over- or underpaid and not accepted (tr_error says which)
	StatusChargeback = "CHARGEBACK" // money went back to the payer
)

// Values of tr_error.
const (
	ErrorNone      = "none"
	ErrorOverpay   = "overpay"
	ErrorSurcharge = "surcharge" // underpaid
)

// Notification is a basic payment notification as Tpay sends it, every field
// kept as the text that arrived (the md5sum is computed over text).
type Notification struct {
	ID         string // merchant id
	TrID       string // the transaction title, "TR-..."
	TrDate     string // "2006-01-02 15:04:05"
	TrCRC      string // the merchant's own reference: getpaid's payment id
	TrAmount   string // the transaction's amount
	TrPaid     string // what was paid (or, with CHARGEBACK, returned)
	TrDesc     string
	TrStatus   string
	TrError    string
	TrEmail    string
	TrCurrency string // sent by the OpenAPI for accounts in other currencies; may be empty
	TestMode   string // "1" for test transactions
	MD5Sum     string
}

// maxBody bounds a notification body.
const maxBody = 64 << 10

// ParseNotification decodes a form-encoded notification body. A body that is
// not a form, repeats a field, lacks one of id, tr_id, tr_crc, tr_amount,
// tr_paid, tr_status and md5sum, or writes tr_amount or tr_paid otherwise
// than Tpay does (see wireAmount) wraps getpaid.ErrMalformedCallback. It
// checks no signature.
func ParseNotification(body []byte) (*Notification, error) {
	if len(body) == 0 || len(body) > maxBody {
		return nil, fmt.Errorf("%w: notification body of %d bytes", getpaid.ErrMalformedCallback, len(body))
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: notification is not a form: %v", getpaid.ErrMalformedCallback, err)
	}
	field := func(k string, required bool) (string, error) {
		v := vals[k]
		switch {
		case len(v) > 1:
			return "", fmt.Errorf("%w: field %q repeated", getpaid.ErrMalformedCallback, k)
		case len(v) == 0 && required:
			return "", fmt.Errorf("%w: field %q missing", getpaid.ErrMalformedCallback, k)
		case len(v) == 0:
			return "", nil
		}
		return v[0], nil
	}
	var n Notification
	for _, f := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"id", &n.ID, true}, {"tr_id", &n.TrID, true}, {"tr_date", &n.TrDate, false},
		{"tr_crc", &n.TrCRC, true}, {"tr_amount", &n.TrAmount, true}, {"tr_paid", &n.TrPaid, true},
		{"tr_desc", &n.TrDesc, false}, {"tr_status", &n.TrStatus, true}, {"tr_error", &n.TrError, false},
		{"tr_email", &n.TrEmail, false}, {"tr_currency", &n.TrCurrency, false},
		{"test_mode", &n.TestMode, false}, {"md5sum", &n.MD5Sum, true},
	} {
		if *f.dst, err = field(f.key, f.required); err != nil {
			return nil, err
		}
	}
	if n.TrID == "" || n.TrCRC == "" {
		return nil, fmt.Errorf("%w: empty tr_id or tr_crc", getpaid.ErrMalformedCallback)
	}
	for _, f := range []struct{ key, v string }{{"tr_amount", n.TrAmount}, {"tr_paid", n.TrPaid}} {
		if !wireAmount(f.v) {
			return nil, fmt.Errorf("%w: %s %q is not an amount as Tpay writes it", getpaid.ErrMalformedCallback, f.key, f.v)
		}
	}
	return &n, nil
}

// wireAmount reports whether s is an amount as Tpay writes it: digits
// without a leading zero (but "0"), then optionally a dot and one or two
// digits ("123.45"; "10.5" and "10" as getpaid 1.x took them). The md5sum
// hashes id, tr_id, tr_amount and tr_crc run together, so a spelling with
// zeros to spare ("010.00", "10.000") would let a zero move between
// tr_amount and a neighbour, the md5sum and the amount unchanged but the
// title (the event id) another: a genuine notification sent again so would
// count twice. tr_paid, outside the md5sum, is held to the same form.
func wireAmount(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (len(whole) > 1 && whole[0] == '0') || (dot && (len(frac) == 0 || len(frac) > Digits)) {
		return false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MD5 is a notification's md5sum: hex MD5 of id, tr_id, tr_amount, tr_crc
// and the merchant's security code, concatenated.
func MD5(id, trID, trAmount, trCRC, code string) string {
	sum := md5.Sum([]byte(id + trID + trAmount + trCRC + code))
	return hex.EncodeToString(sum[:])
}

// CheckMD5 verifies the md5sum with the merchant's security code, in
// constant time. Tpay's SDKs hash tr_amount reformatted with two decimal
// places, django-getpaid 1.x hashed it as received: both spellings are
// accepted. A mismatch wraps getpaid.ErrSignatureInvalid.
func (n *Notification) CheckMD5(code string) error {
	got := []byte(strings.ToLower(n.MD5Sum))
	amounts := []string{n.TrAmount}
	if m, err := ParseAmount(n.TrAmount, "PLN"); err == nil && m.Decimal() != n.TrAmount {
		amounts = append(amounts, m.Decimal())
	}
	ok := 0
	for _, a := range amounts {
		ok |= subtle.ConstantTimeCompare(got, []byte(MD5(n.ID, n.TrID, a, n.TrCRC, code)))
	}
	if ok != 1 {
		return fmt.Errorf("%w: md5sum does not match", getpaid.ErrSignatureInvalid)
	}
	return nil
}

// Sign sets the md5sum for the merchant's security code (simulators use it).
func (n *Notification) Sign(code string) { n.MD5Sum = MD5(n.ID, n.TrID, n.TrAmount, n.TrCRC, code) }

// Encode writes the notification form-encoded, fields in the order Tpay
// sends them, empty optional ones left out.
func (n *Notification) Encode() []byte {
	var b strings.Builder
	add := func(k, v string, always bool) {
		if v == "" && !always {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	add("id", n.ID, true)
	add("tr_id", n.TrID, true)
	add("tr_date", n.TrDate, true)
	add("tr_crc", n.TrCRC, true)
	add("tr_amount", n.TrAmount, true)
	add("tr_paid", n.TrPaid, true)
	add("tr_desc", n.TrDesc, true)
	add("tr_status", n.TrStatus, true)
	add("tr_error", n.TrError, true)
	add("tr_email", n.TrEmail, true)
	add("tr_currency", n.TrCurrency, false)
	add("test_mode", n.TestMode, false)
	add("md5sum", n.MD5Sum, true)
	return []byte(b.String())
}
