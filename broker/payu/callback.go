package payu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// PayU order statuses (brokers.md §1.6).
const (
	StatusNew                    = "NEW"
	StatusPending                = "PENDING"
	StatusWaitingForConfirmation = "WAITING_FOR_CONFIRMATION"
	StatusCompleted              = "COMPLETED"
	StatusCanceled               = "CANCELED"
	StatusRejected               = "REJECTED" // legacy
)

// PayU refund statuses.
const (
	RefundPending   = "PENDING"
	RefundFinalized = "FINALIZED"
	RefundCanceled  = "CANCELED"
)

// wireOrder is the part of a PayU order getpaid reads. Numbers are strings.
type wireOrder struct {
	OrderID      string `json:"orderId"`
	ExtOrderID   string `json:"extOrderId"`
	CurrencyCode string `json:"currencyCode"`
	TotalAmount  string `json:"totalAmount"`
	Status       string `json:"status"`
}

type wireRefund struct {
	RefundID     string     `json:"refundId"`
	ExtRefundID  string     `json:"extRefundId"`
	Amount       amountText `json:"amount"`
	CurrencyCode string     `json:"currencyCode"`
	Status       string     `json:"status"`
}

// amountText is a refund amount as PayU writes it: a string of digits, as
// its OpenAPI types every amount, or a bare JSON integer, as the same
// document's examples of the refund list show it (refundRetrieveFinalized,
// refundRetrievePending, refundRetrieveCanceled: "example: 10000"). Either
// way the text is kept and ParseAmount checks it.
type amountText string

// UnmarshalJSON accepts a JSON string or a JSON number written with digits
// only; anything else (a fraction, an exponent, a sign) is an error.
func (a *amountText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = amountText(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return fmt.Errorf("amount %s is neither a string nor a whole number", b)
		}
	}
	*a = amountText(b)
	return nil
}

// notification is an order or a refund notification body.
type notification struct {
	Order      *wireOrder  `json:"order"`
	OrderID    string      `json:"orderId"`
	ExtOrderID string      `json:"extOrderId"`
	Refund     *wireRefund `json:"refund"`
}

// ParseCallback verifies a PayU notification over its raw body (header
// OpenPayu-Signature, or X-OpenPayU-Signature) and maps it to an
// observation. It changes nothing. It makes no network call, except for a
// refund notification naming no amount or currency: those are then read
// from the order's refund list (see refundFromList).
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if err := b.VerifyCallback(ctx, req); err != nil {
		return nil, err
	}
	obs, err := ParseNotification(req.Body)
	var missing *refundAmountMissing
	if errors.As(err, &missing) {
		return b.refundFromList(ctx, missing)
	}
	return obs, err
}

// VerifyCallback implements getpaid.CallbackVerifier: the signature check of
// ParseCallback alone, for "getpaid callback check".
func (b *Broker) VerifyCallback(_ context.Context, req *getpaid.CallbackRequest) error {
	if req == nil {
		return fmt.Errorf("payu: %w: no request", getpaid.ErrSignatureInvalid)
	}
	header := headerValue(req.Header, HeaderSignature)
	if header == "" {
		header = headerValue(req.Header, HeaderXSignature)
	}
	if header == "" {
		return fmt.Errorf("payu: %w: no %s header", getpaid.ErrSignatureInvalid, HeaderSignature)
	}
	return VerifyNotification(req.Body, header, b.cfg.SecondKey, b.policy())
}

// headerValue looks name up case-insensitively, also in a hand-built header
// whose keys are not in canonical form.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 && vs[0] != "" {
			return vs[0]
		}
	}
	return ""
}

// ParseNotification maps an already verified notification body to an
// observation. Errors wrap getpaid.ErrMalformedCallback.
func ParseNotification(body []byte) (*getpaid.Observation, error) {
	var n notification
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("payu: %w: %v", getpaid.ErrMalformedCallback, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		// More() is no end check: it is false before a "]" or "}".
		return nil, fmt.Errorf("payu: %w: trailing data after JSON", getpaid.ErrMalformedCallback)
	}
	switch {
	case n.Order != nil:
		return orderObservation(n.Order, n.Order.OrderID+":"+n.Order.Status)
	case n.Refund != nil:
		return refundObservation(&n)
	}
	return nil, fmt.Errorf("payu: %w: neither order nor refund", getpaid.ErrMalformedCallback)
}

// orderObservation maps a PayU order to an observation:
//
//	NEW                       -> none (already prepared)
//	PENDING                   -> pending (charge_started)
//	WAITING_FOR_CONFIRMATION  -> locked, the whole totalAmount (pre_auth)
//	COMPLETED                 -> captured totalAmount, the rest released
//	CANCELED, REJECTED        -> failed
//	any other status          -> none, Unrecognized
//
// COMPLETED is an order PayU ended with totalAmount captured: the whole
// order, or what a partial capture took (the order's totalAmount is then the
// captured amount: an assumption, see the package doc). It is reported as
// the cumulative capture with ReleaseRest, not as Full, so the notification
// that follows a partial capture confirms what Capture reported without
// counting it twice, and a COMPLETED for more than the payment is refused
// by Apply.
//
// A WAITING_FOR_CONFIRMATION that arrives after the payment failed changes
// nothing (Observation.FinalFailure): PayU's orders never leave CANCELED or
// REJECTED, so it is an earlier state delivered late.
//
// CANCELED maps to failed because PayU does not say whether funds were ever
// held: an unpaid order becomes failed, a hold that PayU let expire becomes
// failed too, and a hold getpaid released is cancelled (Release returns
// "released"; a CANCELED that overtakes that answer is taken by the engine
// as the release done).
func orderObservation(o *wireOrder, eventID string) (*getpaid.Observation, error) {
	if o.Status == "" {
		return nil, fmt.Errorf("payu: %w: order has no status", getpaid.ErrMalformedCallback)
	}
	if o.OrderID == "" {
		return nil, fmt.Errorf("payu: %w: order has no orderId", getpaid.ErrMalformedCallback)
	}
	obs := &getpaid.Observation{
		PaymentID:    o.ExtOrderID,
		ExternalID:   o.OrderID,
		EventID:      eventID,
		BrokerStatus: o.Status,
	}
	switch o.Status {
	case StatusNew:
		obs.Kind = getpaid.KindNone
	case StatusPending:
		obs.Kind = getpaid.KindPending
	case StatusWaitingForConfirmation:
		// A CANCELED or REJECTED order stays so: a hold reported after
		// one (notifications come at least once, in any order) is stale.
		obs.Kind, obs.FinalFailure = getpaid.KindLocked, true
	case StatusCompleted:
		// HoldFirst: PayU completes an order for less than its
		// totalAmount only by a partial capture of a hold.
		obs.Kind, obs.ReleaseRest, obs.HoldFirst = getpaid.KindCaptured, true, true
	case StatusCanceled, StatusRejected:
		obs.Kind = getpaid.KindFailed
	default:
		// A status PayU does not document: nothing is guessed. In a
		// notification it is acknowledged (refused, PayU would send it
		// again for 72 hours), changes nothing and is logged by the
		// engine for an operator; FetchStatus refuses it.
		obs.Kind, obs.Unrecognized = getpaid.KindNone, true
	}
	m, err := ParseAmount(o.TotalAmount, o.CurrencyCode)
	if err != nil {
		return nil, fmt.Errorf("payu: %w: totalAmount: %v", getpaid.ErrMalformedCallback, err)
	}
	obs.Amount = m
	if o.Status != StatusCompleted {
		// Before it is completed, an order's totalAmount is the amount
		// getpaid created it with: one of another amount is not this
		// payment's order (a hold of less than asked, a failure of
		// another order), and Apply refuses it. A COMPLETED order's is
		// what was captured (see above).
		obs.PaymentAmount = m
	}
	return obs, nil
}

// refundObservation maps a refund notification (see refundFact). One
// naming no amount or no currency is a refundAmountMissing.
func refundObservation(n *notification) (*getpaid.Observation, error) {
	if n.Refund.RefundID == "" || n.OrderID == "" || n.Refund.Status == "" {
		return nil, fmt.Errorf("payu: %w: refund needs orderId, refundId and status", getpaid.ErrMalformedCallback)
	}
	if n.Refund.Amount == "" || n.Refund.CurrencyCode == "" {
		return nil, &refundAmountMissing{OrderID: n.OrderID, ExtOrderID: n.ExtOrderID, Refund: *n.Refund}
	}
	return refundFact(n.ExtOrderID, n.OrderID, n.Refund)
}

// refundAmountMissing is ParseNotification's error for a refund
// notification naming no amount or no currency. PayU's documentation has
// both in every refund notification, but PayU has been seen sending a
// refund made in its merchant panel without them (orderId, extOrderId and
// refund {refundId, status, reason, refundDate} only). ParseCallback then
// reads the amount and currency from the order's refund list (GET
// .../orders/{orderId}/refunds); the status stays the notification's. It
// wraps getpaid.ErrMalformedCallback: without the list, nothing can be
// recorded.
type refundAmountMissing struct {
	OrderID, ExtOrderID string
	Refund              wireRefund
}

func (e *refundAmountMissing) Error() string {
	return fmt.Sprintf("payu: %v: refund %s of order %s names no amount or currency", getpaid.ErrMalformedCallback, e.Refund.RefundID, e.OrderID)
}

func (e *refundAmountMissing) Unwrap() error { return getpaid.ErrMalformedCallback }

// refundFromList completes a refund notification naming no amount from the
// order's refund list. PayU unreachable, or listing no such refund yet, is
// a retryable broker error wrapping no getpaid sentinel: the notification
// is answered 503, not counted as a refusal, and PayU sends it again.
func (b *Broker) refundFromList(ctx context.Context, m *refundAmountMissing) (*getpaid.Observation, error) {
	const op = "payu: retrieve refunds"
	raw, err := b.call(ctx, op, http.MethodGet, ordersPath+"/"+url.PathEscape(m.OrderID)+"/refunds", nil)
	if err != nil {
		return nil, err
	}
	refunds, err := parseRefundList(raw)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: err}
	}
	for _, r := range refunds {
		if r.RefundID != m.Refund.RefundID {
			continue
		}
		if r.Amount == "" || r.CurrencyCode == "" {
			return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("payu: refund %s: PayU lists it with no amount or currency", r.RefundID)}
		}
		n := m.Refund
		n.Amount, n.CurrencyCode = r.Amount, r.CurrencyCode
		if n.ExtRefundID == "" {
			n.ExtRefundID = r.ExtRefundID
		}
		return refundFact(m.ExtOrderID, m.OrderID, &n)
	}
	return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("payu: refund %s of order %s: PayU lists no such refund yet", m.Refund.RefundID, m.OrderID)}
}

// refundFact maps one of PayU's refunds (from a notification, a refund
// answer or the refund list): FINALIZED -> refunded, CANCELED ->
// refund_failed, PENDING -> none (callers that know better make it
// refund_started), any other status none and Unrecognized (a notification
// is acknowledged and logged; the refund answer and the refund list refuse
// it). EventID is "refund:<refundId>:<status>" whichever way
// PayU told it, so a refund learned from the list and from its notification
// applies once. BrokerRef is the refundId; OperationID the extRefundId when
// PayU includes it.
func refundFact(paymentID, orderID string, r *wireRefund) (*getpaid.Observation, error) {
	if r.Status == "" || r.RefundID == "" {
		return nil, fmt.Errorf("payu: %w: refund needs refundId and status", getpaid.ErrMalformedCallback)
	}
	obs := &getpaid.Observation{
		PaymentID:    paymentID,
		ExternalID:   orderID,
		EventID:      "refund:" + r.RefundID + ":" + r.Status,
		BrokerStatus: "refund " + r.Status,
		BrokerRef:    r.RefundID,
		OperationID:  r.ExtRefundID,
	}
	switch r.Status {
	case RefundFinalized:
		obs.Kind = getpaid.KindRefunded
	case RefundCanceled:
		obs.Kind = getpaid.KindRefundFailed
	case RefundPending:
		obs.Kind = getpaid.KindNone
	default:
		obs.Kind, obs.Unrecognized = getpaid.KindNone, true
	}
	m, err := ParseAmount(string(r.Amount), r.CurrencyCode)
	if err != nil {
		return nil, fmt.Errorf("payu: %w: refund amount: %v", getpaid.ErrMalformedCallback, err)
	}
	obs.Amount = m
	return obs, nil
}

// known refuses a fact in a status PayU does not document where it comes
// in an API answer (the order retrieve, a refund answer, the refund list),
// which no acknowledgement ends: only a notification takes it as
// Unrecognized.
func known(obs *getpaid.Observation, err error) (*getpaid.Observation, error) {
	if err == nil && obs.Unrecognized {
		return nil, fmt.Errorf("payu: %w: unknown status %q", getpaid.ErrMalformedCallback, obs.BrokerStatus)
	}
	return obs, err
}
