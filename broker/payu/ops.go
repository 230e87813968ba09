package payu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// capturePartial is the body of a partial capture (PayU OpenAPI "Partial":
// amount as a string of minor units, and the order's currency). A full
// capture sends no body.
type capturePartial struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// statusUpdate is the body of the (deprecated) order status update.
type statusUpdate struct {
	OrderID     string `json:"orderId"`
	OrderStatus string `json:"orderStatus"`
}

// Capture captures a pre-authorisation with POST
// /api/v2_1/orders/{orderId}/captures: no body for the whole hold, or
// {"amount","currencyCode"} for part of it, after which PayU releases the
// rest. A whole hold whose captures call answers 404 or 405 is captured
// with the status update, PUT .../status {"orderStatus": "COMPLETED"}.
// PayU answers SUCCESS once the order is COMPLETED, so the answer is
// reported at once as captured: the cumulative amount, with ReleaseRest.
// The COMPLETED notification that follows carries the same amount and
// changes nothing.
func (b *Broker) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	const op = "payu: capture"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("%s: %w: %s on a %s payment", op, getpaid.ErrAmountMismatch, amount, p.Amount.Currency)
	}
	held := p.Locked
	if held == 0 {
		held = p.Amount.Minor - p.Captured
	}
	if amount.Minor <= 0 || amount.Minor > held {
		return nil, fmt.Errorf("%s: %w: %s of a hold of %s", op, getpaid.ErrInvalidAmount, amount, p.Money(held))
	}
	var body any // the whole hold: an empty body
	if amount.Minor != held {
		wire, err := FormatAmount(amount)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		body = capturePartial{Amount: wire, CurrencyCode: amount.Currency}
	}
	raw, err := b.call(ctx, op, http.MethodPost, path+"/captures", body)
	if st := httpStatus(err); body == nil && (st == http.StatusNotFound || st == http.StatusMethodNotAllowed) {
		// A PayU without the captures endpoint (it refused before acting):
		// the whole hold through the status update PayU's reference still
		// lists, PUT .../status {"orderId","orderStatus":"COMPLETED"}.
		raw, err = b.call(ctx, op, http.MethodPut, path+"/status", statusUpdate{OrderID: p.ExternalID, OrderStatus: StatusCompleted})
	}
	if err == nil {
		err = acknowledged(op, raw)
	}
	if err != nil {
		return nil, err
	}
	total := p.Captured + amount.Minor
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "capture:" + p.ExternalID,
		Kind: getpaid.KindCaptured, Amount: p.Money(total), Full: total == p.Amount.Minor, ReleaseRest: true,
		BrokerStatus: StatusCompleted, OperationID: req.OperationID,
	}, nil
}

// Release cancels the order holding a pre-authorisation
// (DELETE /api/v2_1/orders/{orderId}).
func (b *Broker) Release(ctx context.Context, req *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	return b.cancel(ctx, req.Payment, req.OperationID, "payu: release", "release:")
}

// Cancel cancels an unpaid order (DELETE /api/v2_1/orders/{orderId}).
func (b *Broker) Cancel(ctx context.Context, req *getpaid.CancelRequest) (*getpaid.Observation, error) {
	return b.cancel(ctx, req.Payment, req.OperationID, "payu: cancel", "cancel:")
}

func (b *Broker) cancel(ctx context.Context, p *getpaid.Payment, opID, op, prefix string) (*getpaid.Observation, error) {
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	raw, err := b.call(ctx, op, http.MethodDelete, path, nil)
	if err == nil {
		err = acknowledged(op, raw)
	}
	if err != nil {
		return nil, err
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: p.ExternalID, EventID: prefix + p.ExternalID,
		Kind: getpaid.KindReleased, Amount: p.Money(0), BrokerStatus: StatusCanceled, OperationID: opID,
	}, nil
}

type refundRequest struct {
	Refund refundBody `json:"refund"`
}

type refundBody struct {
	Description  string `json:"description"`
	Amount       string `json:"amount"`
	ExtRefundID  string `json:"extRefundId"`
	CurrencyCode string `json:"currencyCode"`
}

// Refund asks PayU to refund amount (POST /api/v2_1/orders/{orderId}/refunds)
// with extRefundId = the operation id. The body is derived from the
// operation id and the amount only (the amount is always sent, the
// description is "Refund <id>", Reason is not sent), so a retry sends exactly
// the same data and PayU answers with the refund it already created instead
// of a second one. The answer's refund status gives the observation:
// PENDING refund_started, FINALIZED refunded, CANCELED refund_failed, each
// with the operation id and PayU's refundId (BrokerRef).
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	const op = "payu: refund"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	if req.OperationID == "" {
		return nil, fmt.Errorf("%s: %w: an operation id is required (it is PayU's extRefundId)", op, getpaid.ErrInvalidRequest)
	}
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("%s: %w: %s on a %s payment", op, getpaid.ErrAmountMismatch, amount, p.Amount.Currency)
	}
	wire, err := FormatAmount(amount)
	if err != nil || amount.Minor <= 0 {
		return nil, fmt.Errorf("%s: %w: %s", op, getpaid.ErrInvalidAmount, amount)
	}
	body := refundBody{Description: "Refund " + req.OperationID, Amount: wire, ExtRefundID: req.OperationID, CurrencyCode: amount.Currency}
	raw, err := b.call(ctx, op, http.MethodPost, path+"/refunds", refundRequest{Refund: body})
	if err != nil {
		return nil, err
	}
	var resp struct {
		Refund wireRefund `json:"refund"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Refund.RefundID == "" {
		// Not PayU's answer (a proxy's 200 page, empty, cut, no refund): the
		// refund may exist, or not; in doubt, for the lookup to settle.
		return nil, &getpaid.BrokerError{Op: op, Happened: true, Retryable: true,
			Err: fmt.Errorf("the answer is not PayU's, so whether it took the refund is unknown: %q", brokerhttp.Snippet(raw))}
	}
	r := resp.Refund
	if r.Status == "" {
		r.Status = RefundPending
	}
	if r.Amount == "" {
		r.Amount = amountText(wire)
	}
	if r.CurrencyCode == "" {
		r.CurrencyCode = amount.Currency
	}
	obs, err := known(refundFact(p.ID, p.ExternalID, &r))
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Happened: true, Err: err}
	}
	obs.OperationID = req.OperationID
	if obs.Kind == getpaid.KindNone { // PENDING: accepted, PayU finishes it later
		obs.Kind = getpaid.KindRefundStarted
	}
	return obs, nil
}

// FetchOperation looks a money operation up at PayU.
//
// Refunds: GET /api/v2_1/orders/{orderId}/refunds (a bare array in PayU's
// OpenAPI, {"refunds":[...]} in its documentation: both are read), matched
// by extRefundId = the operation id. FINALIZED is refunded, PENDING
// refund_started, CANCELED refund_failed; no such refund (or PayU's own
// 404 for the order) is an error wrapping getpaid.ErrNotFound (the refund
// never reached PayU); a 404 that is not PayU's is a retryable error.
//
// Captures, releases and cancellations: the order's status (GET
// /api/v2_1/orders/{orderId}). A capture happened if the order is
// COMPLETED (captured, the order's totalAmount, the rest released); a
// release or cancellation if it is CANCELED; otherwise it did not happen
// (ErrNotFound).
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	if req == nil || req.Payment == nil || req.Operation == nil {
		return nil, fmt.Errorf("payu: fetch operation: %w: no payment or operation", getpaid.ErrInvalidRequest)
	}
	p, o := req.Payment, req.Operation
	if o.Kind == getpaid.OpRefund {
		return b.fetchRefund(ctx, p, o.ID)
	}
	const op = "payu: retrieve order"
	order, err := b.retrieve(ctx, op, p)
	if err != nil {
		if brokerhttp.NotFound(op, "PayU", &err) {
			return nil, fmt.Errorf("payu: %s %s: %w: %w", o.Kind, o.ID, getpaid.ErrNotFound, err)
		}
		return nil, err
	}
	want := StatusCompleted
	if o.Kind == getpaid.OpRelease || o.Kind == getpaid.OpCancel {
		want = StatusCanceled
	} else if o.Kind != getpaid.OpCapture {
		return nil, fmt.Errorf("payu: fetch operation %s: %w", o.Kind, getpaid.ErrNotSupported)
	}
	if order.Status != want {
		return nil, fmt.Errorf("payu: %s %s: %w: the order is %s", o.Kind, o.ID, getpaid.ErrNotFound, order.Status)
	}
	obs, err := known(orderObservation(order, "poll:"+order.OrderID+":"+order.Status))
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: err}
	}
	if obs.Kind == getpaid.KindFailed { // the order was cancelled: what a release asked for
		obs.Kind = getpaid.KindReleased
	}
	obs.OperationID = o.ID
	return obs, nil
}

func (b *Broker) fetchRefund(ctx context.Context, p *getpaid.Payment, id string) (*getpaid.Observation, error) {
	const op = "payu: retrieve refunds"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	raw, err := b.call(ctx, op, http.MethodGet, path+"/refunds", nil)
	if brokerhttp.NotFound(op, "PayU", &err) {
		return nil, fmt.Errorf("payu: refund %s: %w: %w", id, getpaid.ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	refunds, err := parseRefundList(raw)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: err}
	}
	for i := range refunds {
		r := &refunds[i]
		if r.ExtRefundID != id || id == "" {
			continue
		}
		if r.CurrencyCode == "" {
			r.CurrencyCode = p.Amount.Currency
		}
		obs, err := known(refundFact(p.ID, p.ExternalID, r))
		if err != nil {
			return nil, &getpaid.BrokerError{Op: op, Err: err}
		}
		obs.OperationID = id
		if obs.Kind == getpaid.KindNone {
			obs.Kind = getpaid.KindRefundStarted
		}
		return obs, nil
	}
	return nil, fmt.Errorf("payu: refund %s: %w: PayU lists no refund with this extRefundId", id, getpaid.ErrNotFound)
}

// parseRefundList reads PayU's list of an order's refunds in either of its
// documented shapes: a bare JSON array (PayU's OpenAPI) or an object
// {"refunds": [...]} (PayU's documentation).
func parseRefundList(raw []byte) ([]wireRefund, error) {
	var list []wireRefund
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var obj struct {
		Refunds *[]wireRefund `json:"refunds"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Refunds == nil {
		return nil, fmt.Errorf("the answer is not PayU's (a refund list is an array or {\"refunds\": [...]}): %q", brokerhttp.Snippet(raw))
	}
	return *obj.Refunds, nil
}

// httpStatus returns the broker HTTP status carried by err, 0 if none.
func httpStatus(err error) int {
	var be *getpaid.BrokerError
	if errors.As(err, &be) {
		return be.Status
	}
	return 0
}

// acknowledged checks that a 2xx answer to a capture, release or cancel is
// PayU's own (its status.statusCode, which every PayU answer carries: the
// error statuses are refused by call). Anything else, a proxy's 200 page or
// an empty or cut body, is no word that PayU acted, nor that it did not:
// the operation is in doubt, for the lookup to settle.
func acknowledged(op string, raw []byte) error {
	var st struct {
		Status payuStatus `json:"status"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.Status.StatusCode == "" {
		return &getpaid.BrokerError{Op: op, Happened: true, Retryable: true, Err: fmt.Errorf("answer is not PayU's, so whether it acted is unknown: %q", brokerhttp.Snippet(raw))}
	}
	return nil
}
