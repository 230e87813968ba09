package shop

import (
	"fmt"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The order page says what is known about an order and refreshes itself
// only while something it shows is about to change. It never shows a state
// it will not correct: money a broker reported is shown at once, even before
// the shop's listener (step 6) has marked the order paid, and a wait for a
// broker that may never write (Przelewy24 and Tpay send nothing on a
// decline) ends with that said plainly instead of refreshing for ever.

// Order page states, in the page's data-state attribute.
const (
	statePaid         = "paid"          // the shop marked the order paid
	stateRecording    = "recording"     // brokers report it paid; the listener is marking the order
	stateHeld         = "held"          // funds are held: capture or release
	statePartial      = "partial"       // some money received, some left to pay
	stateAdvance      = "advance"       // the broker holds an amount other than asked
	stateWaiting      = "waiting"       // a payment is waiting for its broker: refreshing
	stateNotConfirmed = "not_confirmed" // waited long enough: the broker said nothing
	stateProcessing   = "processing"    // the broker is processing (a transfer not yet booked)
	stateDeclined     = "declined"      // the last payment failed
	stateRejected     = "rejected"      // the shop rejected an advance: the broker returns it
	stateCancelled    = "cancelled"     // the last payment was cancelled or released
	stateUnpaid       = "unpaid"        // no payment yet
)

// advanceRejected is in the cause of the failure engine.RejectAdvance
// records: the buyer paid another amount and the shop rejected it.
const advanceRejected = "advance rejected"

// paymentRow is one payment as the order page lists it.
type paymentRow struct {
	P        *getpaid.Payment
	Title    string // the backend's title
	Captured getpaid.Money
	Refunded getpaid.Money
	Locked   getpaid.Money
	Advance  getpaid.Money
	Busy     bool // a capture, release or cancel is at the broker
	Key      string
}

// orderView is what the order page shows.
type orderView struct {
	Order    *ShopOrder
	Payments []paymentRow
	State    string
	Tone     string // banner colour: ok, warn, bad, info
	Headline string
	Detail   string
	Note     string // a broker-specific word about what it does (not) send
	Received getpaid.Money
	Left     getpaid.Money
	CanPay   bool
	PayLabel string
	Held     *paymentRow // a pre-authorised payment to capture or release
	Advance  *paymentRow // an advance to accept or reject
	Poll     *paymentRow // a payment to ask its broker about ("check again")
	Refresh  int         // seconds until the page reloads; 0: it does not
	NextURL  string      // what it reloads
	Error    string      // an action the page was asked for and refused
}

// viewOptions are the order page's patience.
type viewOptions struct {
	waited      time.Duration // how long this page has waited for a broker already
	confirmWait time.Duration // how long it waits before saying the broker said nothing
	refresh     time.Duration
	titles      func(backend string) (title, kind string)
	polls       func(backend string) bool // can the backend's broker be asked (getpaid's poll)? nil: yes
	lastCause   string                    // why the newest payment last changed status (its history's last cause)
	checked     bool                      // the newest payment's broker was asked just now ("check again")
	key         func() string
}

// buildView decides what the order page says about o and its payments
// (newest first).
func buildView(o *ShopOrder, payments []*getpaid.Payment, opt viewOptions) *orderView {
	v := &orderView{Order: o}
	// received counts what was captured: a paid order refunded since
	// (goods returned) is not to be paid again; given is what the shop
	// gave back of it, which the note on an overpaid order weighs.
	var received, given int64
	refunding, opBusy := false, false
	for _, p := range payments {
		title, _ := opt.titles(p.Backend)
		row := paymentRow{P: p, Title: title, Captured: p.Money(p.Captured), Refunded: p.Money(p.Refunded),
			Locked: p.Money(p.Locked), Advance: p.Money(p.Advance), Busy: p.ActiveOp != "", Key: opt.key()}
		v.Payments = append(v.Payments, row)
		if p.Amount.Currency == o.Price.Currency { // another currency pays nothing of the price
			received += p.Captured
			given += p.Refunded
		}
		refunding = refunding || p.Status == getpaid.StatusRefundStarted || p.RefundAsked > 0
		opBusy = opBusy || p.ActiveOp != ""
	}
	v.Received = getpaid.Money{Minor: received, Currency: o.Price.Currency}
	v.Left = getpaid.Money{Minor: max(0, o.Price.Minor-received), Currency: o.Price.Currency}
	refresh := int(max(1, opt.refresh.Round(time.Second)/time.Second))
	keepRefreshing := func() {
		v.Refresh = refresh
		v.NextURL = fmt.Sprintf("/orders/%s?waited=%d", o.ID, int((opt.waited+opt.refresh)/time.Second))
	}
	if kept := received - given; kept > o.Price.Minor {
		// Two payments went through (two tabs, a retry while the first
		// was still waiting): getpaid records all the money; the shop
		// gives the extra back (and says no more once it has).
		extra := getpaid.Money{Minor: kept - o.Price.Minor, Currency: o.Price.Currency}
		v.Note = getpaid.Money{Minor: kept, Currency: o.Price.Currency}.String() + " was received, " + extra.String() +
			" more than the price: more than one payment went through. The extra payment is to be refunded (with getpaid's refund action: this demo does not do it for you)."
	}
	switch {
	case o.Paid:
		v.State, v.Tone, v.Headline = statePaid, "ok", "Paid"
		v.Detail = "Thank you: the order is paid and on its way."
		if refunding || opBusy {
			v.Detail = "A refund is in progress at the broker."
			keepRefreshing()
		}
		return v
	case received >= o.Price.Minor && received > 0:
		// The brokers say paid; the shop's listener has not marked the
		// order yet (events are delivered just after the commit).
		v.State, v.Tone, v.Headline = stateRecording, "ok", "Payment received"
		v.Detail = "The broker confirmed the payment; the shop is recording it…"
		keepRefreshing()
		return v
	}
	for i := range v.Payments {
		if row := &v.Payments[i]; row.P.Status == getpaid.StatusPreAuth {
			v.Held = row
			v.State, v.Tone, v.Headline = stateHeld, "warn", "Funds held: "+row.Locked.String()
			v.Detail = row.Title + " holds the buyer's money without taking it (a pre-authorisation). " +
				"Capture takes all or part of it (PayU then releases the rest; the dummy broker keeps it held); release gives back what is still held. Until then the order is not paid."
			if row.Busy {
				v.Detail = "Asking " + row.Title + " to capture or release the held funds…"
				keepRefreshing()
			}
			return v
		}
	}
	for i := range v.Payments {
		if row := &v.Payments[i]; row.P.Advance > 0 {
			v.Advance = row
			v.State, v.Tone, v.Headline = stateAdvance, "warn", "Paid a different amount: "+row.Advance.String()
			v.Detail = row.Title + " received " + row.Advance.String() + " instead of " + row.P.Amount.String() +
				" and keeps it until the shop decides. Accept it (it counts as paid, and the rest is left to pay) or reject it (it is left with the broker to be returned to the buyer)."
			return v
		}
	}
	v.CanPay = v.Left.Minor > 0
	v.PayLabel = "Pay " + v.Left.String()
	if received > 0 {
		v.PayLabel = "Pay the remaining " + v.Left.String()
	}
	if len(v.Payments) == 0 {
		v.State, v.Tone, v.Headline = stateUnpaid, "info", "Not paid yet"
		v.Detail = "Choose a payment method to pay " + v.Left.String() + "."
		return v
	}
	last := &v.Payments[0]
	_, kind := opt.titles(last.P.Backend)
	switch last.P.Status {
	case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
		processing := last.P.Status == getpaid.StatusChargeStarted
		if opt.waited < opt.confirmWait {
			v.State, v.Tone, v.Headline = stateWaiting, "info", "Waiting for confirmation from "+last.Title+"…"
			v.Detail = "The broker confirms payments to the shop directly; this page updates by itself."
			if processing {
				v.Headline = last.Title + " is processing the payment…"
			}
			v.CanPay = false
			keepRefreshing()
			break
		}
		// "Check again" asks the broker; one that cannot be asked
		// (Transferuj's form) can only be waited for.
		again, later := "check again", "check again later"
		if opt.polls == nil || opt.polls(last.P.Backend) {
			v.Poll = last
		} else {
			again = "reload this page later (" + last.Title + " cannot be asked: the shop learns it only from its notification)"
			later = again
		}
		asked := ""
		if opt.checked {
			asked = last.Title + " was asked just now: this is its answer. "
		}
		if processing {
			v.State, v.Tone, v.Headline = stateProcessing, "info", last.Title+" is still processing the payment"
			v.Detail = asked + "Some payments (a bank transfer, for instance) are confirmed later. The order is not paid until then; " + later + "."
			v.CanPay = false
			break
		}
		v.State, v.Tone, v.Headline = stateNotConfirmed, "warn", last.Title+" has not confirmed a payment"
		v.Detail = asked + "If you declined, cancelled or left the payment page, nothing more will happen and you can pay again. " +
			"If you paid, the confirmation may still come: " + again + "."
		v.Note = silentNote(kind)
	case getpaid.StatusFailed:
		if strings.Contains(opt.lastCause, advanceRejected) {
			// The buyer paid another amount and the shop rejected it:
			// money was taken, and the broker gives it back.
			v.State, v.Tone, v.Headline = stateRejected, "bad", "Payment rejected"
			v.Detail = "The shop rejected the amount paid through " + last.Title + ", which was not the " + last.P.Amount.String() +
				" asked: it is left with " + last.Title + " to be returned to the buyer. The order is not paid."
			break
		}
		v.State, v.Tone, v.Headline = stateDeclined, "bad", "Payment declined"
		v.Detail = last.Title + " reports that the payment of " + last.P.Amount.String() + " failed: it was declined or abandoned. No money was taken."
	case getpaid.StatusCancelled:
		v.State, v.Tone, v.Headline = stateCancelled, "bad", "Payment cancelled"
		v.Detail = "The payment of " + last.P.Amount.String() + " was cancelled or its held funds released. No money was taken."
	default:
		if received > 0 {
			v.State, v.Tone, v.Headline = statePartial, "warn", "Partially paid: "+v.Received.String()+" of "+o.Price.String()
			v.Detail = v.Left.String() + " is left to pay."
		} else {
			v.State, v.Tone, v.Headline = stateUnpaid, "info", "Not paid"
		}
	}
	if refunding || opBusy {
		keepRefreshing()
	}
	return v
}

// silentNote says which brokers send nothing when a payment does not
// happen, so the page can tell why it knows no more.
func silentNote(kind string) string {
	switch kind {
	case "przelewy24":
		return "Przelewy24 sends nothing when a payment is declined or abandoned: all the shop knows is that the payment was not confirmed."
	case "tpay", "transferuj":
		return "Tpay keeps the transaction open and sends nothing when a bank declines or the buyer leaves: all the shop knows is that the payment was not confirmed."
	case "payu":
		return "PayU sends nothing while an order waits for the buyer (for instance after \"back to the shop\"); it cancels the order when its time to pay runs out."
	case "dotpay":
		return "Dotpay sends nothing when the buyer leaves the payment page."
	}
	return ""
}
