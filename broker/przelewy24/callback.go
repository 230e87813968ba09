package przelewy24

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// notification is what Przelewy24 POSTs to urlStatus when a buyer paid.
type notification struct {
	MerchantID, PosID int64
	SessionID         string
	Amount            int64 // paid
	OriginAmount      int64 // registered
	Currency          string
	OrderID           int64
	MethodID          int64
	Statement         string
}

// refundNotification is what Przelewy24 POSTs to a refund's urlStatus.
type refundNotification struct {
	OrderID     int64
	SessionID   string
	MerchantID  int64
	RefundsUUID string
	Amount      int64
	Currency    string
	Status      int64 // 0 completed, 1 rejected
}

// fields is a decoded notification body: JSON or form-encoded values, numbers
// kept as their decimal text so that both encodings rebuild the same sign.
type fields map[string]string

func decodeFields(req *getpaid.CallbackRequest) (fields, error) {
	body := bytes.TrimSpace(req.Body)
	if len(body) == 0 {
		return nil, fmt.Errorf("przelewy24: %w: empty body", getpaid.ErrMalformedCallback)
	}
	// The body says what it is, whatever its Content-Type: Przelewy24
	// documents JSON, and form-encoded fields never begin with "{".
	if body[0] != '{' {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("przelewy24: %w: form: %v", getpaid.ErrMalformedCallback, err)
		}
		f := make(fields, len(vals))
		for k, v := range vals {
			if len(v) != 1 {
				return nil, fmt.Errorf("przelewy24: %w: field %q repeated", getpaid.ErrMalformedCallback, k)
			}
			f[k] = v[0]
		}
		return f, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("przelewy24: %w: json: %v", getpaid.ErrMalformedCallback, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		// More() is no end check: it is false before a "]" or "}".
		return nil, fmt.Errorf("przelewy24: %w: trailing data after JSON", getpaid.ErrMalformedCallback)
	}
	f := make(fields, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			f[k] = v
		case json.Number:
			f[k] = v.String()
		default:
			// null, or a shape no signed field has: left out, so a signed
			// field given so is missing; other fields are not signed.
		}
	}
	return f, nil
}

func (f fields) str(k string) (string, error) {
	v, ok := f[k]
	if !ok {
		return "", fmt.Errorf("przelewy24: %w: field %q missing", getpaid.ErrMalformedCallback, k)
	}
	return v, nil
}

func (f fields) int(k string) (int64, error) {
	v, err := f.str(k)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(v, "+") {
		return 0, fmt.Errorf("przelewy24: %w: field %q is not a non-negative integer", getpaid.ErrMalformedCallback, k)
	}
	return n, nil
}

// ParseCallback verifies a transaction or refund notification (JSON, or
// form-encoded) and parses it. A wrong sign, or one for another merchant or
// POS, wraps getpaid.ErrSignatureInvalid; a body that cannot be read wraps
// getpaid.ErrMalformedCallback.
//
// A transaction notification for the registered amount (amount ==
// originAmount) is a capture of the whole amount, EventID "trn:{orderId}",
// not yet a payment: ConfirmCallback must verify it first. One whose amount
// differs from originAmount is an advance (getpaid.KindAdvance, Amount = what
// was paid, EventID "advance:{orderId}"): Przelewy24 holds the money for the
// buyer until the merchant verifies it, so it is recorded for an operator to
// accept (verify) or leave to be returned, and never verified here. Both
// carry originAmount as getpaid.Observation.PaymentAmount, so an advance on
// a transaction registered for another amount than the payment is refused.
func (b *Broker) ParseCallback(_ context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	f, err := decodeFields(req)
	if err != nil {
		return nil, err
	}
	sign, err := f.str("sign")
	if err != nil {
		return nil, err
	}
	if _, ok := f["refundsUuid"]; ok {
		return b.parseRefund(f, sign)
	}
	var n notification
	var errs [8]error
	n.MerchantID, errs[0] = f.int("merchantId")
	n.PosID, errs[1] = f.int("posId")
	n.SessionID, errs[2] = f.str("sessionId")
	n.Amount, errs[3] = f.int("amount")
	n.OriginAmount, errs[4] = f.int("originAmount")
	n.Currency, errs[5] = f.str("currency")
	n.OrderID, errs[6] = f.int("orderId")
	n.MethodID, errs[7] = f.int("methodId")
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	if n.Statement, err = f.str("statement"); err != nil {
		return nil, err
	}
	if !signEqual(sign, n.sign(b.cfg.CRC)) {
		return nil, fmt.Errorf("przelewy24: %w: transaction notification", getpaid.ErrSignatureInvalid)
	}
	if n.MerchantID != int64(b.cfg.MerchantID) || n.PosID != int64(b.cfg.PosID) {
		return nil, fmt.Errorf("przelewy24: %w: notification for merchant %d pos %d", getpaid.ErrSignatureInvalid, n.MerchantID, n.PosID)
	}
	if n.SessionID == "" || n.OrderID == 0 {
		return nil, fmt.Errorf("przelewy24: %w: empty sessionId or orderId", getpaid.ErrMalformedCallback)
	}
	money, err := getpaid.NewMoney(n.Amount, n.Currency)
	if err != nil {
		return nil, fmt.Errorf("przelewy24: %w: %v", getpaid.ErrMalformedCallback, err)
	}
	// originAmount is the transaction's registered amount: a fact about a
	// transaction of another amount than the payment's is refused by Apply.
	origin, err := getpaid.NewMoney(n.OriginAmount, n.Currency)
	if err != nil {
		return nil, fmt.Errorf("przelewy24: %w: originAmount: %v", getpaid.ErrMalformedCallback, err)
	}
	order := strconv.FormatInt(n.OrderID, 10)
	if n.Amount != n.OriginAmount {
		return &getpaid.Observation{
			PaymentID: n.SessionID, ExternalID: order, EventID: "advance:" + order,
			Kind: getpaid.KindAdvance, Amount: money, BrokerStatus: statusAdvance, PaymentAmount: origin,
			MustConfirm: true, // verified when accepted; unverified, given back
		}, nil
	}
	return &getpaid.Observation{
		PaymentID: n.SessionID, ExternalID: order, EventID: "trn:" + order,
		Kind: getpaid.KindCaptured, Amount: money, Full: true, BrokerStatus: statusNotification, PaymentAmount: origin,
		MustConfirm: true,
	}, nil
}

func (b *Broker) parseRefund(f fields, sign string) (*getpaid.Observation, error) {
	var n refundNotification
	var errs [7]error
	n.OrderID, errs[0] = f.int("orderId")
	n.SessionID, errs[1] = f.str("sessionId")
	n.RefundsUUID, errs[2] = f.str("refundsUuid")
	n.MerchantID, errs[3] = f.int("merchantId")
	n.Amount, errs[4] = f.int("amount")
	n.Currency, errs[5] = f.str("currency")
	n.Status, errs[6] = f.int("status")
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	if !signEqual(sign, n.sign(b.cfg.CRC)) {
		return nil, fmt.Errorf("przelewy24: %w: refund notification", getpaid.ErrSignatureInvalid)
	}
	if n.MerchantID != int64(b.cfg.MerchantID) {
		return nil, fmt.Errorf("przelewy24: %w: refund notification for merchant %d", getpaid.ErrSignatureInvalid, n.MerchantID)
	}
	if n.SessionID == "" || n.RefundsUUID == "" {
		return nil, fmt.Errorf("przelewy24: %w: empty sessionId or refundsUuid", getpaid.ErrMalformedCallback)
	}
	money, err := getpaid.NewMoney(n.Amount, n.Currency)
	if err != nil {
		return nil, fmt.Errorf("przelewy24: %w: %v", getpaid.ErrMalformedCallback, err)
	}
	order := strconv.FormatInt(n.OrderID, 10)
	o := &getpaid.Observation{
		PaymentID: n.SessionID, ExternalID: order, Amount: money,
		EventID: "refund:" + n.RefundsUUID + ":" + order,
	}
	// requestId is not signed: it names getpaid's operation only when the
	// signed refundsUuid is the one derived from it.
	if id := operationOf(f["requestId"]); id != "" {
		if _, uuid := refundIDs(id); uuid == n.RefundsUUID {
			o.OperationID = id
		}
	}
	switch n.Status {
	case 0:
		o.Kind, o.BrokerStatus = getpaid.KindRefunded, "refund completed"
	case 1:
		o.Kind, o.BrokerStatus = getpaid.KindRefundFailed, "refund rejected"
		o.EventID += ":rejected"
	default:
		// Signed, with a status Przelewy24 does not document: acknowledged,
		// nothing changed, logged by the engine (Observation.Unrecognized).
		o.Kind, o.Unrecognized = getpaid.KindNone, true
		o.BrokerStatus = "refund status " + strconv.FormatInt(n.Status, 10)
		o.EventID += ":status-" + strconv.FormatInt(n.Status, 10)
	}
	return o, nil
}
