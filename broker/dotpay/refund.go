package dotpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// operationPrefix starts getpaid's money operation ids ("op_..."): a refund
// getpaid asks for carries its operation id as control, and its URLC and
// lookup are told from a refund made in Dotpay's panel by it.
const operationPrefix = "op_"

// isOperationID reports whether a refund's control is one of getpaid's
// operation ids.
func isOperationID(control string) bool { return strings.HasPrefix(control, operationPrefix) }

// Unable implements getpaid.OperationGate: without the seller API
// credentials Dotpay's refunds cannot be asked for, and the engine refuses
// them before anything is stored (as Refund would before sending).
func (b *Broker) Unable(kind getpaid.OperationKind) string {
	if kind == getpaid.OpRefund && !b.hasAPI() {
		return "set api_username and api_password (the seller panel user), or refund in Dotpay's panel; getpaid records the URLC Dotpay sends of it"
	}
	return ""
}

// Refund asks the seller API to refund amount of the payment's completed
// operation: POST payments/{number}/refund/ with control = the operation's
// id, which Dotpay keeps on the refund operation, lists it under
// (GET operations/?control=) and sends back in the refund's URLC. The
// answer names no refund, so the refund is looked up by that control at
// once: a refund Dotpay ended already is reported as its URLC reports it
// (refunded or refund failed, the same event id, "<number>:<status>", and
// BrokerRef its number), else as started ("refund-start:<operation id>"),
// finished by the URLC or FetchOperation.
//
// Dotpay does not deduplicate refund requests by control: getpaid never
// sends one operation twice, and resolves one whose answer was lost
// (BrokerError.Happened) with FetchOperation.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	if !b.hasAPI() {
		return nil, fmt.Errorf("dotpay: refund: %w: set api_username and api_password (the seller panel user)", getpaid.ErrNotSupported)
	}
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("dotpay: %w: refund in %s, payment in %s", getpaid.ErrAmountMismatch, amount.Currency, p.Amount.Currency)
	}
	if req.OperationID == "" || len(req.OperationID) > maxControl {
		return nil, fmt.Errorf("dotpay: %w: refund operation id %q (it is the refund's control)", getpaid.ErrInvalidRequest, req.OperationID)
	}
	wire, err := FormatAmount(amount)
	if err != nil || amount.Minor <= 0 {
		return nil, fmt.Errorf("dotpay: %w: refund of %s", getpaid.ErrInvalidAmount, amount)
	}
	number := p.ExternalID
	if number == "" {
		ops, err := b.payments(ctx, p)
		if err != nil {
			return nil, err
		}
		if op := best(ops); op != nil && op.Status == StatusCompleted {
			number = op.Number
		}
	}
	if number == "" {
		return nil, fmt.Errorf("dotpay: %w: no completed Dotpay payment for %s", getpaid.ErrInvalidRequest, p.ID)
	}
	in := map[string]string{
		"amount": wire, "control": req.OperationID, "description": clean("Refund "+req.OperationID, maxDescription),
	}
	target := b.sellerURL + "payments/" + url.PathEscape(number) + "/refund/"
	var ans struct {
		Detail *string `json:"detail"`
	}
	err = b.call(ctx, "dotpay: refund", http.MethodPost, target, in, &ans)
	var be *getpaid.BrokerError
	if err == nil && ans.Detail == nil {
		// A 2xx without the seller API's {"detail": ...}: an empty object,
		// or a body that is not JSON (a proxy's page, empty, cut; call
		// reports those in doubt already).
		err = &getpaid.BrokerError{Op: "dotpay: refund", Status: http.StatusOK, Retryable: true, Happened: true,
			Err: errors.New("the answer is not the seller API's (no detail)")}
	}
	if errors.As(err, &be) && be.Happened && be.Status >= 200 && be.Status <= 299 {
		// Not the seller API's answer: no word that Dotpay took the
		// refund, nor that it did not. Its lookup by control settles it;
		// without one it is in doubt, for FetchOperation to resolve.
		if o, lerr := b.fetchRefund(ctx, p, req.OperationID); lerr == nil {
			o.ExternalID = number
			return o, nil
		}
		be.Err = fmt.Errorf("whether Dotpay took the refund is unknown: %w", be.Err)
		return nil, be
	}
	if err != nil {
		return nil, err
	}
	started := &getpaid.Observation{
		PaymentID: p.ID, ExternalID: number, EventID: startedEventID(req.OperationID),
		Kind: getpaid.KindRefundStarted, Amount: amount, BrokerStatus: "refund requested",
		OperationID: req.OperationID,
	}
	// Dotpay accepted it: what the lookup adds is the refund's number and,
	// if it ended already, how. A failed lookup changes nothing.
	if o, err := b.fetchRefund(ctx, p, req.OperationID); err == nil {
		o.ExternalID = number
		return o, nil
	}
	return started, nil
}

// startedEventID is the event id of a refund getpaid asked that Dotpay has
// not ended: its answer and its lookup share it.
func startedEventID(opID string) string { return "refund-start:" + opID }

// FetchOperation implements getpaid.OperationFetcher for refunds: the seller
// API's operations whose control is the operation's id
// (GET operations/?control=op_..., type refund). completed is refunded and
// rejected refund failed, each with the event id its URLC has
// ("<number>:<status>") and BrokerRef its number, so the answer, the lookup
// and the URLC apply once; new and processing are refund started. No such
// refund is an error wrapping getpaid.ErrNotFound: the request never reached
// Dotpay; one listed only in a status Dotpay's SDK does not list is a
// retryable *getpaid.BrokerError (it reached Dotpay; how it ends is
// unknown). Dotpay has no capture, release or cancel (getpaid.ErrNotSupported).
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	if req == nil || req.Payment == nil || req.Operation == nil {
		return nil, fmt.Errorf("dotpay: fetch operation: %w: no payment or operation", getpaid.ErrInvalidRequest)
	}
	if req.Operation.Kind != getpaid.OpRefund {
		return nil, fmt.Errorf("dotpay: fetch operation %s: %w", req.Operation.Kind, getpaid.ErrNotSupported)
	}
	if !b.hasAPI() {
		return nil, fmt.Errorf("dotpay: fetch operation: %w: no seller API credentials", getpaid.ErrNotSupported)
	}
	return b.fetchRefund(ctx, req.Payment, req.Operation.ID)
}

// fetchRefund looks up the refund whose control is opID.
func (b *Broker) fetchRefund(ctx context.Context, p *getpaid.Payment, opID string) (*getpaid.Observation, error) {
	ops, err := b.operations(ctx, opID, TypeRefund)
	if err != nil {
		return nil, err
	}
	rf := furthestRefund(ops)
	if rf == nil && len(ops) > 0 {
		// Dotpay holds the refund, in a status its SDK does not list: it
		// reached Dotpay, and how it ends is unknown. In doubt, never
		// "not found", which would take it for a refund never made.
		return nil, &getpaid.BrokerError{Op: "dotpay: list operations", Retryable: true,
			Err: fmt.Errorf("refund %s (control %s) is in status %q, which getpaid does not know", ops[0].Number, opID, ops[0].Status)}
	}
	if rf == nil {
		return nil, fmt.Errorf("dotpay: refund %s: %w: Dotpay lists no refund with this control", opID, getpaid.ErrNotFound)
	}
	m, err := rf.money()
	if err == nil && m.Minor <= 0 {
		err = errors.New("a refund of nothing")
	}
	if err != nil {
		return nil, &getpaid.BrokerError{Op: "dotpay: list operations", Err: fmt.Errorf("refund %s amount: %w", rf.Number, err)}
	}
	o := &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, Amount: m, OperationID: opID,
		BrokerRef: rf.Number, BrokerStatus: TypeRefund + " " + rf.Status}
	switch rf.Status {
	case StatusCompleted:
		o.Kind, o.EventID = getpaid.KindRefunded, rf.Number+":"+rf.Status
	case StatusRejected:
		o.Kind, o.EventID = getpaid.KindRefundFailed, rf.Number+":"+rf.Status
	default:
		o.Kind, o.EventID = getpaid.KindRefundStarted, startedEventID(opID)
	}
	return o, nil
}

// furthestRefund is the refund that got furthest: completed, then still
// being processed, then rejected; nil for none.
func furthestRefund(ops []apiOperation) *apiOperation {
	order := func(status string) int {
		switch status {
		case StatusCompleted:
			return 3
		case StatusNew, StatusProcessing, StatusRealizationWaiting, StatusRealizationProgress:
			return 2
		case StatusRejected:
			return 1
		}
		return 0
	}
	var best *apiOperation
	for i := range ops {
		if order(ops[i].Status) > 0 && (best == nil || order(ops[i].Status) > order(best.Status)) {
			best = &ops[i]
		}
	}
	return best
}
