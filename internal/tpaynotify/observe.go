package tpaynotify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Observation maps a verified notification to what getpaid records. The
// amounts are in tr_currency when the notification names one, else in
// currency (the account's). The mapping:
//
//   - TRUE or PAID with tr_paid >= tr_amount: the whole tr_amount captured
//     (an accepted overpayment does not make the payment worth more);
//   - TRUE or PAID with tr_paid < tr_amount (an accepted underpayment):
//     tr_paid captured, cumulative within the transaction: partially_paid
//     (another transaction's tr_paid is its own: the engine counts none of
//     it once the payment has money, a second transaction);
//   - FALSE with money held (tr_error overpay or surcharge, tr_paid > 0):
//     an advance of tr_paid, recorded for an operator and never paid until
//     Tpay reports TRUE;
//   - FALSE otherwise: failed;
//   - CHARGEBACK: tr_paid refunded (a delta; tr_amount when tr_paid is 0
//     or above it: an accepted overpayment returned whole gives back all the
//     payment captured, which is tr_amount);
//   - any other status: nothing, Unrecognized (acknowledged and logged).
//
// PaymentAmount is always tr_amount, so a notification of a transaction of
// another amount than the payment's is refused whatever it reports (an
// underpayment's tr_paid alone would not show it).
//
// The event id is the transaction title, the status and the amount it
// reports ("TR-ABC-1:TRUE:123.45"), so a repeated notification is a
// duplicate while a later one for more money (an underpayment topped up) is
// not. Errors wrap getpaid.ErrMalformedCallback.
func (n *Notification) Observation(currency string) (*getpaid.Observation, error) {
	if n.TrCurrency != "" {
		currency = strings.ToUpper(n.TrCurrency)
	}
	if !getpaid.KnownCurrency(currency) {
		return nil, fmt.Errorf("%w: currency %q", getpaid.ErrMalformedCallback, currency)
	}
	amount, err := ParseAmount(n.TrAmount, currency)
	if err != nil {
		return nil, fmt.Errorf("%w: tr_amount: %v", getpaid.ErrMalformedCallback, err)
	}
	if amount.Minor == 0 {
		return nil, fmt.Errorf("%w: tr_amount of nothing", getpaid.ErrMalformedCallback)
	}
	paid, err := ParseAmount(n.TrPaid, currency)
	if err != nil {
		return nil, fmt.Errorf("%w: tr_paid: %v", getpaid.ErrMalformedCallback, err)
	}
	status := strings.ToUpper(strings.TrimSpace(n.TrStatus))
	trErr := strings.ToLower(strings.TrimSpace(n.TrError))
	if trErr == "" {
		trErr = ErrorNone
	}
	o := &getpaid.Observation{
		PaymentID: n.TrCRC, ExternalID: n.TrID, BrokerStatus: status,
		EventID: EventID(n.TrID, status, paid), PaymentAmount: amount,
	}
	if trErr != ErrorNone {
		o.BrokerStatus += " " + trErr
	}
	switch status {
	case StatusTrue, StatusPaid:
		if paid.Minor == 0 {
			return nil, fmt.Errorf("%w: %s with nothing paid", getpaid.ErrMalformedCallback, status)
		}
		o.Kind = getpaid.KindCaptured
		if paid.Minor >= amount.Minor {
			o.Amount, o.Full = amount, true
		} else {
			o.Amount = paid
		}
	case StatusFalse:
		o.EventID += ":" + trErr
		if paid.Minor > 0 && (trErr == ErrorOverpay || trErr == ErrorSurcharge) {
			o.Kind, o.Amount = getpaid.KindAdvance, paid
		} else {
			o.Kind, o.Amount = getpaid.KindFailed, getpaid.Money{Currency: currency}
		}
	case StatusChargeback:
		back := paid
		if back.Minor == 0 || back.Minor > amount.Minor {
			back = amount
		}
		o.Kind, o.Amount = getpaid.KindRefunded, back
		o.EventID = RefundEventID(n.TrID, back, 1)
	default:
		// Signed, in a word getpaid does not know: acknowledged (refused,
		// Tpay would only send it again), nothing changed, logged by the
		// engine for an operator (getpaid.Observation.Unrecognized).
		o.Kind, o.Unrecognized, o.Amount = getpaid.KindNone, true, getpaid.Money{Currency: currency}
	}
	return o, nil
}

// EventID is the event id of a notification of transaction title with
// status reporting amount: "TR-ABC-1:TRUE:123.45".
func EventID(title, status string, amount getpaid.Money) string {
	return title + ":" + status + ":" + amount.Decimal()
}

// RefundEventID is the event id of the nth refund of amount on transaction
// title (1 for the first of that amount): a CHARGEBACK notification, a
// refund's answer and a refund found by lookup share it, so one refund is
// counted once whichever reports it first. A notification cannot tell the
// nth refund of one amount from the first, so it always says 1.
func RefundEventID(title string, amount getpaid.Money, nth int) string {
	id := EventID(title, StatusChargeback, amount)
	if nth > 1 {
		id += "#" + strconv.Itoa(nth)
	}
	return id
}
