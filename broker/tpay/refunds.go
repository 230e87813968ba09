package tpay

import (
	"context"
	"encoding/json"
	"errors"
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
	RefundID string          `json:"refundId"`
	ID       string          `json:"id"`
	Amount   Amount          `json:"amount"`
	Status   string          `json:"status"`
	Date     json.RawMessage `json:"date"` // a string in the list, an object in a transaction
}

func (r refund) ref() string {
	if r.RefundID != "" {
		return r.RefundID
	}
	return r.ID
}

// refundState classifies a refund status word: done, started, failed, or
// getpaid.KindNone for a word it does not know. Tpay documents no list of
// refund statuses: an unknown word is never taken for a failure (a refund
// Tpay accepted may be under way), nor for a success.
func refundState(status string) getpaid.Kind {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "", "correct", "done", "refunded", "success", "completed":
		return getpaid.KindRefunded
	case "pending", "new", "processing", "in_progress":
		return getpaid.KindRefundStarted
	case "cancel", "canceled", "cancelled", "error", "rejected", "failed", "failure", "declined":
		return getpaid.KindRefundFailed
	}
	return getpaid.KindNone
}

// withRefunds reads the payment's transaction and its refunds.
func (b *Broker) withRefunds(ctx context.Context, p *getpaid.Payment) (*transaction, []refund, error) {
	tx, err := b.transaction(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	list, err := b.refunds(ctx, p)
	return tx, list, err
}

// refunds lists the transaction's refunds (GET /transactions/{id}/refunds),
// in Tpay's order: oldest first. An answer without a list of refunds
// (neither refunds nor refundsList in it) is a retryable error saying it is
// not Tpay's: read as an empty list, it would tell a lookup that a refund
// Tpay may have paid out is not there. A list written null is empty (no
// source says how Tpay writes an empty list; a serialiser's nil slice is
// null).
func (b *Broker) refunds(ctx context.Context, p *getpaid.Payment) ([]refund, error) {
	const op = "tpay: list refunds"
	var out struct {
		Refunds     json.RawMessage `json:"refunds"`
		RefundsList json.RawMessage `json:"refundsList"`
	}
	if err := b.call(ctx, op, http.MethodGet, "/transactions/"+url.PathEscape(p.ExternalID)+"/refunds", nil, &out); err != nil {
		return nil, err
	}
	if out.Refunds == nil && out.RefundsList == nil {
		return nil, &getpaid.BrokerError{Op: op, Status: http.StatusOK, Retryable: true,
			Err: errors.New("the answer is not Tpay's (no list of refunds), so it may be asked again")}
	}
	var list []refund
	for _, raw := range []json.RawMessage{out.Refunds, out.RefundsList} {
		if raw == nil {
			continue
		}
		var part []refund
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, &getpaid.BrokerError{Op: op, Status: http.StatusOK, Retryable: true,
				Err: fmt.Errorf("the answer is not Tpay's (its list of refunds: %w), so it may be asked again", err)}
		}
		list = append(list, part...)
	}
	return list, nil
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
// amount), so the notification that follows is a duplicate. The answer
// carries the operation id and Tpay's refundId (BrokerRef).
//
// Tpay's refund takes nothing but the amount (tpay-openapi-php's Refund
// body): there is no field for getpaid's operation id, so the request is not
// deduplicated at Tpay (getpaid never sends one operation twice), and its
// CHARGEBACK notification names no operation. A refund whose answer was lost
// is resolved by FetchOperation.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("tpay: %w: refund in %s, payment in %s", getpaid.ErrAmountMismatch, amount.Currency, p.Amount.Currency)
	}
	wire, err := NewAmount(amount)
	if err != nil || amount.Minor <= 0 {
		return nil, fmt.Errorf("tpay: %w: refund of %s", getpaid.ErrInvalidAmount, amount)
	}
	tx, before, err := b.withRefunds(ctx, p)
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
	var ans struct {
		refund
		Title string `json:"title"` // a transaction's (see below)
	}
	if err := b.call(ctx, op, http.MethodPost, "/transactions/"+url.PathEscape(p.ExternalID)+"/refunds", body, &ans); err != nil {
		return nil, err
	}
	state := refundState(ans.Status)
	if ans.ref() == "" && ans.Title != "" {
		// No verified source gives the answer's fields (see refund): an
		// answer naming no refund but a transaction (its title) is the
		// transaction after the refund. Its amount is the transaction's,
		// and its status is the transaction's: still paid ("correct",
		// which shop plugins check for) or refunded in full, the refund
		// was done; any other word leaves the refund in doubt.
		ans.Amount = ""
		switch strings.ToLower(ans.Status) {
		case StatusCorrect, StatusRefund:
			state = getpaid.KindRefunded
		default:
			state = getpaid.KindNone
		}
	}
	if ans.Amount != "" {
		if got, err := ans.Amount.Money(amount.Currency); err != nil || got != amount {
			return nil, &getpaid.BrokerError{Op: op, Happened: true, Err: fmt.Errorf("the broker refunded %q, not %s", string(ans.Amount), amount)}
		}
	}
	o := &getpaid.Observation{PaymentID: p.ID, Amount: amount, OperationID: req.OperationID, BrokerRef: ans.ref(),
		BrokerStatus: "refund " + ans.Status}
	switch state {
	case getpaid.KindRefunded:
		o.Kind, o.EventID = getpaid.KindRefunded, tpaynotify.RefundEventID(tx.Title, amount, b.nth(ctx, p, ans.ref(), before, amount))
	case getpaid.KindRefundStarted:
		o.Kind, o.EventID = getpaid.KindRefundStarted, "refund-start:"+req.OperationID
	case getpaid.KindRefundFailed:
		return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("refund %s", ans.Status)}
	default:
		// Accepted, in a word getpaid does not know: it may be under way.
		// In doubt, the operation is looked up again.
		return nil, &getpaid.BrokerError{Op: op, Happened: true, Err: fmt.Errorf("refund answered with status %q, which getpaid does not know", ans.Status)}
	}
	return o, nil
}

// RefundEventIDs implements getpaid.RefundCounter: the event ids of the
// refunds of o.Amount Tpay lists as done for the payment, oldest first,
// each numbered as Refund and FetchOperation number it, by its place among
// the refunds of that amount not failed ("TR-...:CHARGEBACK:10.00", then
// "#2", ...). A refund still pending has no id here: a CHARGEBACK is of a
// refund done, and must not take the id of one that may yet fail. A
// CHARGEBACK notification names only the transaction and the amount: with
// these the engine counts a second refund of one amount, which the
// notification's own id would take for a repeat of the first.
func (b *Broker) RefundEventIDs(ctx context.Context, p *getpaid.Payment, o *getpaid.Observation) ([]string, error) {
	tx, list, err := b.withRefunds(ctx, p)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i, r := range list {
		if m, err := r.Amount.Money(o.Amount.Currency); err == nil && m == o.Amount && refundState(r.Status) == getpaid.KindRefunded {
			ids = append(ids, tpaynotify.RefundEventID(tx.Title, o.Amount, sameAmount(list[:i], o.Amount)+1))
		}
	}
	return ids, nil
}

// nth is which refund of amount on the transaction (1 for the first) the
// refund Tpay answered as ref is, as FetchOperation counts it: by its place
// in the list read after it was made, so that another refund of the same
// amount made meanwhile (a concurrent request) is not taken for the same
// one. When that list cannot be read or lacks ref, it is counted from the
// list read before the request (before).
func (b *Broker) nth(ctx context.Context, p *getpaid.Payment, ref string, before []refund, amount getpaid.Money) int {
	if ref != "" {
		if after, err := b.refunds(ctx, p); err == nil {
			for i, r := range after {
				if r.ref() == ref {
					return sameAmount(after[:i], amount) + 1
				}
			}
		}
	}
	return sameAmount(before, amount) + 1
}

// FetchOperation implements getpaid.OperationFetcher. A refund is looked up
// in the transaction's refund list by the refund id Tpay answered
// (Operation.BrokerRef): done -> refunded, with the event id Refund and the
// CHARGEBACK notification use; pending -> refund started; cancelled or
// rejected -> refund failed; absent -> getpaid.ErrNotFound.
//
// A refund whose answer was lost has no refund id, and Tpay's refund takes
// nothing of getpaid's to match it by (its body is the amount alone). It is
// then judged by the money, from the payment as getpaid has it now (see
// matchLost): found only when that is certain, else left to an operator.
//
// A cancel is found in the transaction's status: canceled -> released,
// anything else -> ErrNotFound.
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	p, op := req.Payment, req.Operation
	switch op.Kind {
	case getpaid.OpCancel:
		tx, err := b.transaction(ctx, p)
		if err != nil {
			return nil, err
		}
		switch s := strings.ToLower(tx.Status); s {
		case StatusCanceled, "canceled", "cancelled":
			return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, BrokerStatus: s,
				EventID: "cancel:" + p.ExternalID, OperationID: op.ID}, nil
		default:
			return nil, fmt.Errorf("tpay: cancel of %s: %w (transaction %s)", p.ID, getpaid.ErrNotFound, s)
		}
	case getpaid.OpRefund:
	default:
		return nil, fmt.Errorf("tpay: %s: %w", op.Kind, getpaid.ErrNotSupported)
	}
	tx, list, err := b.withRefunds(ctx, p)
	if err != nil {
		return nil, err
	}
	if op.BrokerRef == "" {
		return matchLost(p, op, tx.Title, list, req.Fact)
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
		case getpaid.KindRefundFailed:
			o.EventID = "refund-failed:" + r.ref()
		default:
			return nil, unknownRefundStatus(r)
		}
		return o, nil
	}
	return nil, fmt.Errorf("tpay: refund %s: %w: Tpay lists no refund %s", op.ID, getpaid.ErrNotFound, op.BrokerRef)
}

// unknownRefundStatus is a lookup that found r in a status refundState does
// not know: not an answer (the operation stays in doubt, looked up again,
// then shown to an operator).
func unknownRefundStatus(r refund) error {
	return &getpaid.BrokerError{Op: "tpay: list refunds", Err: fmt.Errorf("refund %s has status %q, which getpaid does not know", r.ref(), r.Status)}
}

// matchLost judges a refund whose answer was lost (no refund id) by the
// money: what Tpay lists as refunded (refunds not cancelled) against what
// the payment has recorded as refunded (p.Refunded) and asked for
// (p.RefundAsked, this refund's amount among it while it is in doubt).
//
//   - Tpay lists no refund of the amount: it never happened (ErrNotFound).
//   - The refund was resolved as done by an operator (its money recorded)
//     and Tpay lists one refund of its amount: that is it, whatever Tpay
//     refunded besides (a refund made in its panel since, whose CHARGEBACK
//     the engine asks about), which the money cannot tell until it is
//     recorded. When Tpay lists more than one and every refund it has
//     done is recorded, a CHARGEBACK of the amount the engine asks about
//     (fact) is of one recorded already: it is this one, a repeat. When
//     Tpay has refunded at least its amount more than recorded and asked
//     for (in refunds done: one still pending has refunded nothing; one
//     getpaid asked for, whose answer is on its way or lost, not listed
//     pending, is counted by its operation), it is the last done of them: a CHARGEBACK of the
//     amount (taken for the first of it not yet applied) is then the
//     refund not recorded, counted once, whichever of them it is.
//   - Another refund of the payment is in flight too (asked for more than
//     this one), or Tpay lists more than one refund of the amount: which is
//     which cannot be told; an operator decides (an error).
//   - Tpay has refunded exactly this amount more than getpaid recorded:
//     this refund happened. It is reported refunded with the event id its
//     CHARGEBACK notification has, so the two apply once.
//   - Tpay has refunded nothing getpaid has not recorded, and this refund's
//     reservation is intact: it never happened (ErrNotFound).
//   - Tpay has refunded nothing unrecorded, and the reservation was used
//     up by a refund of this amount recorded meanwhile (its CHARGEBACK came
//     first): it happened and is recorded; reported with that same event
//     id, it ends the operation without counting twice.
//
// Only a refund made in Tpay's panel of the same amount, at the same time,
// could be mistaken for this one; the money recorded is right either way.
func matchLost(p *getpaid.Payment, op *getpaid.Operation, title string, list []refund, fact *getpaid.Observation) (*getpaid.Observation, error) {
	var done, settled, pending, same int64
	var match, last, told *refund
	lastN, toldN := 0, 0
	for i := range list {
		r := &list[i]
		m, err := r.Amount.Money(p.Amount.Currency)
		if err != nil {
			return nil, &getpaid.BrokerError{Op: "tpay: list refunds", Err: fmt.Errorf("refund %s amount %q", r.ref(), string(r.Amount))}
		}
		if refundState(r.Status) == getpaid.KindRefundFailed {
			continue
		}
		done += m.Minor
		isDone := refundState(r.Status) == getpaid.KindRefunded
		if isDone {
			settled += m.Minor
		}
		if refundState(r.Status) == getpaid.KindRefundStarted {
			pending += m.Minor
		}
		if m != op.Amount {
			continue
		}
		same++
		match = r
		if isDone {
			last, lastN = r, int(same)
			if fact != nil && fact.Kind == getpaid.KindRefunded && fact.Amount == op.Amount && fact.EventID == tpaynotify.RefundEventID(title, op.Amount, lastN) {
				told, toldN = r, lastN
			}
		}
	}
	a, nth := op.Amount.Minor, 1
	unrecorded := done - p.Refunded
	// What getpaid asks for that Tpay does not list as pending may be
	// done and not recorded yet: its answer on its way, or lost.
	inFlight := max(0, p.RefundAsked-pending)
	switch {
	case same == 0:
		return nil, fmt.Errorf("tpay: refund %s: %w: no refund of %s at Tpay", op.ID, getpaid.ErrNotFound, op.Amount)
	case op.State == getpaid.OpSucceeded && same == 1:
		// Resolved as done by an operator: its money is recorded, and the
		// one refund of its amount Tpay lists is it, whatever else Tpay
		// refunded since (a refund made in the panel, whose CHARGEBACK
		// this lookup is asked about, unrecorded until it is matched).
	case op.State == getpaid.OpSucceeded && settled == p.Refunded && told != nil:
		// Resolved as done, and every refund Tpay has done is recorded:
		// a CHARGEBACK of its amount is of one recorded already, whichever
		// (another refund of the amount since, counted under the id of
		// this one's place, or this one's own, late). It is this one: a
		// repeat.
		match, nth = told, toldN
	case op.State == getpaid.OpSucceeded && last != nil && settled-p.Refunded-inFlight >= a:
		// Resolved as done, and Tpay lists more refunds of its amount,
		// one of them done and not recorded (made in the panel), beyond
		// any getpaid is still asking for: whichever a CHARGEBACK of the
		// amount reports (the engine takes it for the first not yet
		// applied), it is the one not recorded, counted once. This one
		// is the last done. A refund still pending has refunded nothing:
		// no CHARGEBACK is of it yet; one getpaid asked for and has not
		// recorded yet (its answer on its way, or lost) is counted by its
		// operation, not as a refund made in the panel.
		match, nth = last, lastN
	case p.RefundAsked > a:
		return nil, fmt.Errorf("tpay: refund %s of %s: other refunds of the payment are in flight (%s asked in all), and Tpay keeps no id of getpaid's to tell which is this one: an operator must match them", op.ID, op.Amount, p.Money(p.RefundAsked))
	case same > 1:
		return nil, fmt.Errorf("tpay: refund %s: Tpay lists %d refunds of %s, and keeps no id of getpaid's to tell which is this one: an operator must match them", op.ID, same, op.Amount)
	case unrecorded == a, unrecorded == 0 && p.RefundAsked < a:
	case unrecorded == 0:
		return nil, fmt.Errorf("tpay: refund %s: %w: every refund at Tpay is recorded and this one's amount is still reserved", op.ID, getpaid.ErrNotFound)
	default:
		return nil, fmt.Errorf("tpay: refund %s of %s: Tpay has refunded %s that getpaid has not recorded: an operator must match them", op.ID, op.Amount, p.Money(unrecorded))
	}
	o := &getpaid.Observation{PaymentID: p.ID, Kind: refundState(match.Status), Amount: op.Amount, OperationID: op.ID,
		BrokerRef: match.ref(), BrokerStatus: "refund " + match.Status}
	if o.Kind == getpaid.KindNone {
		return nil, unknownRefundStatus(*match)
	}
	if o.Kind == getpaid.KindRefunded {
		o.EventID = tpaynotify.RefundEventID(title, op.Amount, nth)
	} else {
		o.EventID = "refund-start:" + op.ID
	}
	return o, nil
}
