package tpay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// refund is one refund as Tpay lists and answers it. The field set is not
// in a verified source (brokers.md §10): Tpay's refunds guide names the
// endpoints and the amount; the shop plugins check result "success" and
// status "correct". Both "refundId" and "id" are read.
type refund struct {
	RefundID string `json:"refundId"`
	ID       string `json:"id"`
	Amount   Amount `json:"amount"`
	Status   string `json:"status"`
	Date     string `json:"date"`
}

func (r refund) ref() string {
	if r.RefundID != "" {
		return r.RefundID
	}
	return r.ID
}

// refundState classifies a refund status word: done, started or failed.
func refundState(status string) getpaid.Kind {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "", "correct", "done", "refunded", "success", "completed":
		return getpaid.KindRefunded
	case "pending", "new", "processing", "in_progress":
		return getpaid.KindRefundStarted
	default: // cancel, canceled, error, rejected, failed, ...
		return getpaid.KindRefundFailed
	}
}

// refunds lists the transaction's refunds (GET /transactions/{id}/refunds),
// in Tpay's order: oldest first.
func (b *Broker) refunds(ctx context.Context, p *getpaid.Payment) ([]refund, error) {
	var out struct {
		Refunds     []refund `json:"refunds"`
		RefundsList []refund `json:"refundsList"`
	}
	if err := b.call(ctx, "tpay: list refunds", http.MethodGet, "/transactions/"+url.PathEscape(p.ExternalID)+"/refunds", nil, &out); err != nil {
		return nil, err
	}
	return append(out.Refunds, out.RefundsList...), nil
}

// sameAmount counts the refunds of amount among rs.
func sameAmount(rs []refund, amount getpaid.Money) int {
	n := 0
	for _, r := range rs {
		if m, err := r.Amount.Money(amount.Currency); err == nil && m == amount && refundState(r.Status) != getpaid.KindRefundFailed {
			n++
		}
	}
	return n
}

// Refund implements getpaid.Refunder: POST /transactions/{id}/refunds with
// {"amount": major units} for a partial refund and an empty body for the
// whole payment (Tpay then marks the transaction refunded). Tpay takes the
// money from the balance at once: an answer with status correct is a
// refund done, reported with the event id the CHARGEBACK notification of it
// has ("TR-...:CHARGEBACK:12.00", "#n" added for the nth refund of one
// amount), so the notification that follows is a duplicate. Tpay has no
// field for getpaid's refund id: the request is not deduplicated at Tpay,
// which the engine's recorded refund intent makes up for.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("tpay: %w: refund in %s, payment in %s", getpaid.ErrAmountMismatch, amount.Currency, p.Amount.Currency)
	}
	wire, err := NewAmount(amount)
	if err != nil || amount.Minor <= 0 {
		return nil, fmt.Errorf("tpay: %w: refund of %s", getpaid.ErrInvalidAmount, amount)
	}
	tx, err := b.transaction(ctx, p)
	if err != nil {
		return nil, err
	}
	before, err := b.refunds(ctx, p)
	if err != nil {
		return nil, err
	}
	paid, err := tx.Payments.AmountPaid.Money(p.Amount.Currency)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: "tpay: get transaction", Err: fmt.Errorf("amountPaid: %w", err)}
	}
	var body any = map[string]Amount{"amount": wire}
	if p.Refunded == 0 && amount.Minor == p.Captured && paid == amount && len(before) == 0 {
		body = struct{}{} // the whole payment: Tpay refunds everything paid
	}
	const op = "tpay: refund"
	var ans refund
	if err := b.call(ctx, op, http.MethodPost, "/transactions/"+url.PathEscape(p.ExternalID)+"/refunds", body, &ans); err != nil {
		return nil, err
	}
	if ans.Amount != "" {
		if got, err := ans.Amount.Money(amount.Currency); err != nil || got != amount {
			return nil, &getpaid.BrokerError{Op: op, Happened: true, Err: fmt.Errorf("the broker refunded %q, not %s", string(ans.Amount), amount)}
		}
	}
	o := &getpaid.Observation{PaymentID: p.ID, Amount: amount, OperationID: req.OperationID, BrokerRef: ans.ref(),
		BrokerStatus: "refund " + ans.Status}
	switch refundState(ans.Status) {
	case getpaid.KindRefunded:
		o.Kind, o.EventID = getpaid.KindRefunded, tpaynotify.RefundEventID(tx.Title, amount, sameAmount(before, amount)+1)
	case getpaid.KindRefundStarted:
		o.Kind, o.EventID = getpaid.KindRefundStarted, "refund-start:"+req.OperationID
	default:
		return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("refund %s", ans.Status)}
	}
	return o, nil
}

// FetchOperation implements getpaid.OperationFetcher. A refund is looked up
// in the transaction's refund list by the refund id Tpay answered
// (Operation.BrokerRef): done -> refunded, with the event id Refund and the
// CHARGEBACK notification use; pending -> refund started; cancelled or
// rejected -> refund failed; absent -> getpaid.ErrNotFound. Without a refund
// id, no refund of the amount at Tpay means it never happened (ErrNotFound);
// one or more cannot be told apart from refunds made in the panel, and are
// left to an operator (an error). A cancel is found in the transaction's
// status: canceled -> released, anything else -> ErrNotFound.
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	p, op := req.Payment, req.Operation
	switch op.Kind {
	case getpaid.OpCancel:
		tx, err := b.transaction(ctx, p)
		if err != nil {
			return nil, err
		}
		switch s := strings.ToLower(tx.Status); s {
		case StatusCanceled, "cancelled", "cancel":
			return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, BrokerStatus: s,
				EventID: "cancel:" + p.ExternalID, OperationID: op.ID}, nil
		default:
			return nil, fmt.Errorf("tpay: cancel of %s: %w (transaction %s)", p.ID, getpaid.ErrNotFound, s)
		}
	case getpaid.OpRefund:
	default:
		return nil, fmt.Errorf("tpay: %s: %w", op.Kind, getpaid.ErrNotSupported)
	}
	tx, err := b.transaction(ctx, p)
	if err != nil {
		return nil, err
	}
	list, err := b.refunds(ctx, p)
	if err != nil {
		return nil, err
	}
	if op.BrokerRef == "" {
		if n := sameAmount(list, op.Amount); n > 0 {
			return nil, fmt.Errorf("tpay: refund %s of %s: Tpay lists %d refund(s) of that amount and getpaid has no refund id to tell which: an operator must match them", op.ID, op.Amount, n)
		}
		return nil, fmt.Errorf("tpay: refund %s: %w: no refund of %s at Tpay", op.ID, getpaid.ErrNotFound, op.Amount)
	}
	for i, r := range list {
		if r.ref() != op.BrokerRef {
			continue
		}
		amount, err := r.Amount.Money(p.Amount.Currency)
		if err != nil || amount.Minor <= 0 {
			return nil, &getpaid.BrokerError{Op: "tpay: list refunds", Err: fmt.Errorf("refund %s amount %q", r.ref(), string(r.Amount))}
		}
		o := &getpaid.Observation{PaymentID: p.ID, Amount: amount, OperationID: op.ID, BrokerRef: r.ref(), BrokerStatus: "refund " + r.Status}
		switch o.Kind = refundState(r.Status); o.Kind {
		case getpaid.KindRefunded:
			o.EventID = tpaynotify.RefundEventID(tx.Title, amount, sameAmount(list[:i], amount)+1)
		case getpaid.KindRefundStarted:
			o.EventID = "refund-start:" + op.ID
		default:
			o.EventID = "refund-failed:" + r.ref()
		}
		return o, nil
	}
	return nil, fmt.Errorf("tpay: refund %s: %w: Tpay lists no refund %s", op.ID, getpaid.ErrNotFound, op.BrokerRef)
}
