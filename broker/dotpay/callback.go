package dotpay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Operation types a URLC names that getpaid records (others, such as
// payout, are acknowledged and ignored). A complaint is the buyer's dispute
// of a payment (a card chargeback): completed, its amount went back to the
// buyer from the shop's money.
const (
	TypePayment   = "payment"
	TypeRefund    = "refund"
	TypeComplaint = "complaint"
)

// Operation statuses.
const (
	StatusNew                 = "new"
	StatusProcessing          = "processing"
	StatusCompleted           = "completed"
	StatusRejected            = "rejected"
	StatusRealizationWaiting  = "processing_realization_waiting"
	StatusRealizationProgress = "processing_realization"
)

// maxFieldLen bounds any URLC field: Dotpay's longest, control, is at most
// 1000 characters.
const maxFieldLen = 4096

// decodeURLC reads a URLC body: form fields, each at most once, urlencoded
// or, when the Content-Type says so, multipart/form-data (Dotpay's manual
// says only that the URLC is POSTed; PHP's $_POST, which its examples read
// it with, takes either). Errors wrap getpaid.ErrMalformedCallback.
func decodeURLC(body []byte, header http.Header) (map[string]string, error) {
	if mt, params, err := mime.ParseMediaType(header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		return decodeMultipartURLC(body, params["boundary"])
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("dotpay: %w: form: %v", getpaid.ErrMalformedCallback, err)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("dotpay: %w: empty body", getpaid.ErrMalformedCallback)
	}
	f := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) != 1 {
			return nil, fmt.Errorf("dotpay: %w: field %q repeated", getpaid.ErrMalformedCallback, k)
		}
		if len(v[0]) > maxFieldLen {
			return nil, fmt.Errorf("dotpay: %w: field %q too long", getpaid.ErrMalformedCallback, k)
		}
		f[k] = v[0]
	}
	return f, nil
}

// decodeMultipartURLC reads a multipart/form-data URLC: plain fields only
// (no files), each at most once.
func decodeMultipartURLC(body []byte, boundary string) (map[string]string, error) {
	bad := func(why string, args ...any) (map[string]string, error) {
		return nil, fmt.Errorf("dotpay: %w: multipart form: %s", getpaid.ErrMalformedCallback, fmt.Sprintf(why, args...))
	}
	if boundary == "" {
		return bad("no boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	f := map[string]string{}
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			return bad("part %q is not a plain field", name)
		}
		if _, dup := f[name]; dup {
			return bad("field %q repeated", name)
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldLen+1))
		if err != nil {
			return bad("%v", err)
		}
		if len(v) > maxFieldLen {
			return bad("field %q too long", name)
		}
		f[name] = string(v)
	}
	if len(f) == 0 {
		return bad("no fields")
	}
	return f, nil
}

// verify checks a decoded URLC's signature with the PIN, and that it is
// addressed to this shop. Errors wrap getpaid.ErrSignatureInvalid.
func (b *Broker) verify(f map[string]string) error {
	sig := f["signature"]
	if sig == "" {
		return fmt.Errorf("dotpay: %w: no signature field", getpaid.ErrSignatureInvalid)
	}
	if !signatureValid(sig, Signature(b.cfg.PIN, f)) {
		return fmt.Errorf("dotpay: %w: URLC signature does not match", getpaid.ErrSignatureInvalid)
	}
	if f["id"] != b.cfg.ShopID {
		return fmt.Errorf("dotpay: %w: URLC for shop %q, this backend is shop %s", getpaid.ErrSignatureInvalid, f["id"], b.cfg.ShopID)
	}
	return nil
}

// VerifyCallback implements getpaid.CallbackVerifier: the signature check of
// ParseCallback alone, for "getpaid callback check".
func (b *Broker) VerifyCallback(_ context.Context, req *getpaid.CallbackRequest) error {
	if req == nil {
		return fmt.Errorf("dotpay: %w: no request", getpaid.ErrSignatureInvalid)
	}
	f, err := decodeURLC(req.Body, req.Header)
	if err != nil {
		return err
	}
	return b.verify(f)
}

// ParseCallback verifies a URLC (POST only; signature with the PIN over the
// fields in Dotpay's order; this shop's id) and maps it to an observation.
// It changes nothing and makes no network call. A wrong signature or shop
// wraps getpaid.ErrSignatureInvalid; anything else unreadable
// getpaid.ErrMalformedCallback. Amount and currency are checked against the
// payment when the observation is applied.
func (b *Broker) ParseCallback(_ context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if req == nil {
		return nil, fmt.Errorf("dotpay: %w: no request", getpaid.ErrMalformedCallback)
	}
	if req.Method != http.MethodPost {
		return nil, fmt.Errorf("dotpay: %w: URLC sent with %q, Dotpay POSTs it", getpaid.ErrMalformedCallback, req.Method)
	}
	f, err := decodeURLC(req.Body, req.Header)
	if err != nil {
		return nil, err
	}
	if err := b.verify(f); err != nil {
		return nil, err
	}
	if err := checkWireForms(f); err != nil {
		return nil, err
	}
	return ParseNotification(f)
}

// checkWireForms refuses a URLC of a recorded type (payment, refund,
// complaint) whose amounts, currencies, is_completed, date or related
// operation number are not written as Dotpay writes them (amounts with two
// decimal places, no leading zero; three capital letters; true or false;
// YYYY-MM-DD HH:MM:SS; M1234-5678: capital letters, digits, dashes). The signature
// hashes the values run together with nothing between them, so characters
// moved between neighbouring fields keep a genuine signature valid ("true" +
// "123.45" sent as "true1" + "23.45"); with these fields rigid no such move
// keeps them all readable. An empty field is taken as absent (Dotpay signs
// an absent field as an empty string): characters moved into it or out of
// it leave it or a neighbour out of form all the same. With the related
// number in form, and what follows it (control, or with none the next
// field with a value) not running on from it, control starts where
// Dotpay's does: it names the genuine payment or operation, or none of
// getpaid's, and the related number is the genuine one. Errors wrap
// getpaid.ErrMalformedCallback.
func checkWireForms(f map[string]string) error {
	switch f["operation_type"] {
	case TypePayment, TypeRefund, TypeComplaint:
	default:
		return nil // acknowledged and ignored: nothing is read from it
	}
	bad := func(k string) error {
		return fmt.Errorf("dotpay: %w: field %s %q is not in Dotpay's form", getpaid.ErrMalformedCallback, k, f[k])
	}
	for _, k := range []string{"operation_amount", "operation_withdrawal_amount", "operation_commission_amount",
		"operation_original_amount"} {
		if v := f[k]; v != "" && !wireAmount(v) {
			return bad(k)
		}
	}
	for _, k := range []string{"operation_currency", "operation_original_currency"} {
		if v := f[k]; v != "" && (len(v) != 3 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
			return bad(k)
		}
	}
	if v := f["is_completed"]; v != "" && v != "true" && v != "false" {
		return bad("is_completed")
	}
	if v := f["operation_related_number"]; v != "" && !operationNumber(v) {
		// What follows it (control, description, the buyer's email) is
		// free text: characters moved into it from there, a control
		// moved along with them, could name another payment.
		return bad("operation_related_number")
	}
	if f["operation_related_number"] != "" {
		// Run together with the related number, where one ends would not
		// be known: its last characters moved into control ("M1234-5678"
		// + "9op_...") would name another payment's number. With control
		// emptied they move into the first field after it that has any
		// ("M1234-5678" + "" + "9op_...Refund"): as Dotpay's numbers end
		// in digits, what moved begins with a digit or a dash.
		for _, k := range signedFields[slices.Index(signedFields, "operation_related_number")+1:] {
			v := f[k]
			if v == "" {
				continue
			}
			if k == "control" && strings.Contains(numberChars, v[:1]) || strings.ContainsAny(v[:1], "0123456789-") {
				return bad(k)
			}
			break
		}
	}
	if v := f["operation_datetime"]; v != "" {
		// the length too: Parse takes a one-digit hour and a fraction of a second
		if _, err := time.Parse(time.DateTime, v); err != nil || len(v) != len(time.DateTime) {
			return bad("operation_datetime")
		}
	}
	return nil
}

// operationNumber reports whether s is written as Dotpay numbers its
// operations: capital letters, digits and dashes ("M1234-5678"; "MI-5" in
// the URLC of django-payments' fixture). Neither a getpaid id (lower case
// and "_") nor free text (a description, an email) moved into it is.
// It begins with a letter, as Dotpay's do: not with the date's digits
// moved into it from before it.
func operationNumber(s string) bool {
	return s != "" && s[0] >= 'A' && s[0] <= 'Z' && strings.Trim(s, numberChars) == ""
}

// numberChars are the characters of Dotpay's operation numbers.
const numberChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

// wireAmount reports whether s is an amount as Dotpay writes it: an optional
// minus, digits without a leading zero (but "0"), a dot, two digits.
func wireAmount(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || (len(whole) > 1 && whole[0] == '0') {
		return false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseNotification maps the fields of an already verified URLC to an
// observation:
//
//	payment new                                  none (still prepared)
//	payment processing, processing_realization*  pending (charge_started)
//	payment completed                            captured, the whole amount (paid)
//	payment rejected                             failed
//	refund completed                             refunded, by amount (partial or whole)
//	refund rejected                              refund failed
//	refund new, processing*                      none
//	complaint completed                          refunded, by amount, unrequested
//	complaint new, processing*, rejected         none (no money moved)
//	any other operation type                     none (acknowledged, ignored)
//	payment, refund or complaint in a status     none, Unrecognized (acknowledged,
//	  Dotpay's SDK does not list                   logged by the engine at error level)
//
// The amount is operation_original_amount in operation_original_currency:
// what the shop asked for, even when the buyer paid in another currency
// (operation_amount/operation_currency are then Dotpay's converted amount).
// PaymentID is control (getpaid's payment id); ExternalID is the payment's
// operation number (operation_related_number for a refund); EventID is
// "<operation_number>:<operation_status>", so a repeated URLC applies once.
// A refund's BrokerRef is its own operation number; the control of a refund
// getpaid asked for is getpaid's operation id ("op_..."): it is then the
// OperationID, and the payment is found by operation_related_number, or,
// when the URLC names none, through that operation (a refund made in
// Dotpay's panel carries the payment's control instead). A rejected refund
// is a failed refund only when it is one getpaid asked for; a panel
// refund's rejection changes nothing, as a rejected complaint's.
// A completed complaint is money taken back from the shop that no refund of
// getpaid's asked for: refunded, Unrequested, BrokerRef its own number, the
// payment found by control or operation_related_number; its event id makes
// it count once however often the URLC comes. A rejected complaint moved no
// money and is no refund's failure: it changes nothing.
// Errors wrap getpaid.ErrMalformedCallback.
func ParseNotification(f map[string]string) (*getpaid.Observation, error) {
	number, typ, status := f["operation_number"], f["operation_type"], f["operation_status"]
	if number == "" || typ == "" || status == "" {
		return nil, fmt.Errorf("dotpay: %w: operation_number, operation_type and operation_status are required", getpaid.ErrMalformedCallback)
	}
	o := &getpaid.Observation{
		PaymentID: f["control"], EventID: number + ":" + status, Kind: getpaid.KindNone,
		BrokerStatus: typ + " " + status,
	}
	if typ != TypePayment && typ != TypeRefund && typ != TypeComplaint {
		return o, nil
	}
	amount, currency := f["operation_original_amount"], f["operation_original_currency"]
	if amount == "" && currency == "" {
		amount, currency = f["operation_amount"], f["operation_currency"]
	}
	if typ == TypeRefund || typ == TypeComplaint {
		amount = strings.TrimPrefix(amount, "-") // the type says it is money going back
	}
	m, err := ParseAmount(amount, currency)
	if err != nil {
		return nil, fmt.Errorf("dotpay: %w: %s amount: %v", getpaid.ErrMalformedCallback, typ, err)
	}
	o.Amount = m
	switch typ {
	case TypePayment:
		switch status {
		case StatusNew:
		case StatusProcessing, StatusRealizationWaiting, StatusRealizationProgress:
			o.Kind = getpaid.KindPending
		case StatusCompleted:
			o.Kind, o.Full, o.ExternalID = getpaid.KindCaptured, true, number
		case StatusRejected:
			o.Kind = getpaid.KindFailed
		default:
			o.Unrecognized = true
		}
	case TypeRefund:
		o.ExternalID = f["operation_related_number"]
		if isOperationID(o.PaymentID) {
			o.OperationID, o.PaymentID = o.PaymentID, ""
		}
		switch status {
		case StatusNew, StatusProcessing, StatusRealizationWaiting, StatusRealizationProgress:
		case StatusCompleted:
			o.Kind, o.BrokerRef = getpaid.KindRefunded, number
		case StatusRejected:
			// Only a refund getpaid asked for failed: one made in the
			// panel (the payment's control) that Dotpay rejected moved no
			// money and is none of getpaid's refunds under way, whose
			// reservations it would otherwise give back.
			if o.OperationID != "" {
				o.Kind, o.BrokerRef = getpaid.KindRefundFailed, number
			}
		default:
			o.Unrecognized = true
		}
		if m.Minor == 0 && o.Kind == getpaid.KindRefunded {
			return nil, fmt.Errorf("dotpay: %w: refund of nothing", getpaid.ErrMalformedCallback)
		}
	case TypeComplaint:
		o.ExternalID = f["operation_related_number"]
		if isOperationID(o.PaymentID) {
			o.PaymentID = "" // none of getpaid's payments: a complaint is no operation of getpaid's
		}
		switch status {
		case StatusNew, StatusProcessing, StatusRealizationWaiting, StatusRealizationProgress, StatusRejected:
		case StatusCompleted:
			if m.Minor == 0 {
				return nil, fmt.Errorf("dotpay: %w: complaint of nothing", getpaid.ErrMalformedCallback)
			}
			o.Kind, o.BrokerRef, o.Unrequested = getpaid.KindRefunded, number, true
		default:
			o.Unrecognized = true
		}
	}
	return o, nil
}
