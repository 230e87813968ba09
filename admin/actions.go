package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Actions an operator can take on a payment.
const (
	actRefund        = "refund"
	actCapture       = "capture"
	actRelease       = "release"
	actCancel        = "cancel"
	actPoll          = "poll"
	actAcceptAdvance = "accept_advance"
	actRejectAdvance = "reject_advance"
	actResolve       = "resolve"
	actCheck         = "check_operation"
)

// actionInfo describes an action for the pages.
var actionInfo = map[string]struct {
	Label, Verb, Done string
	Amount            bool // takes an amount (empty: all that can be)
}{
	actRefund:        {"Refund", "refund", "Refund asked", true},
	actCapture:       {"Capture", "capture", "Capture asked", true},
	actRelease:       {"Release the hold", "release the hold of", "Release asked", false},
	actCancel:        {"Cancel", "cancel", "Cancellation asked", false},
	actPoll:          {"Poll the broker now", "ask the broker for the status of", "Broker polled", false},
	actAcceptAdvance: {"Accept the advance", "accept the advance held for", "Advance accepted", false},
	actRejectAdvance: {"Reject the advance", "reject the advance held for", "Advance rejected", false},
	actResolve:       {"Resolve the operation", "resolve an operation of", "Operation resolved", false},
	actCheck:         {"Check with the broker now", "have the broker asked now about an operation of", "Operation due for a check with its broker now: the reconciler asks within seconds", false},
}

// errCannotCheck refuses a check of an operation when the console's
// Service is no getpaid.OperationChecker (the payment's page then offers
// none).
var errCannotCheck = errors.New("admin: the service cannot check operations with their brokers")

// actionView is a button on the payment page.
type actionView struct {
	Name, Label string
	Amount      bool
	Default     string // the amount field's default
	// Blocked is whether the action waits for the payment's operation in
	// flight (Payment.ActiveOp): the engine refuses a capture, release or
	// cancel until that one ends, so its button is shown disabled.
	Blocked bool
}

// exclusive reports whether an action is one of those only one of which is
// in flight for a payment at a time (the engine's Payment.ActiveOp).
func exclusive(action string) bool {
	return action == actCapture || action == actRelease || action == actCancel
}

// inFlightReason says which operation of the payment keeps a capture,
// release or cancel from starting, and what settles it.
func inFlightReason(op *getpaid.Operation) string {
	msg := fmt.Sprintf("Capture, release and cancel wait: the %s %s of this payment", op.Kind, op.ID)
	if op.State == getpaid.OpUnknown {
		return msg + " is in doubt (its broker's answer was lost), and it goes first: the reconciler asks its broker, or resolve it below after checking the broker's panel."
	}
	return msg + " is at its broker, and it goes first: they are offered again once the broker has answered."
}

// actionsFor lists the actions that fit a payment now and that its broker
// supports, as configured (getpaid.OperationGate). The engine still checks
// each one.
func actionsFor(p *getpaid.Payment, b getpaid.Backend) []actionView {
	var out []actionView
	add := func(name, def string) {
		i := actionInfo[name]
		out = append(out, actionView{Name: name, Label: i.Label, Amount: i.Amount, Default: def})
	}
	var refunder, capturer, releaser, canceler, fetcher bool
	if b.Broker != nil {
		refunder = can[getpaid.Refunder](b.Broker, getpaid.OpRefund)
		capturer = can[getpaid.Capturer](b.Broker, getpaid.OpCapture)
		releaser = can[getpaid.Releaser](b.Broker, getpaid.OpRelease)
		canceler = can[getpaid.Canceler](b.Broker, getpaid.OpCancel)
		_, fetcher = b.Broker.(getpaid.StatusFetcher)
	}
	// A payment captured in part with the rest still held stays pre_auth,
	// and the engine refunds none of it until the hold is captured or
	// released: no refund is offered then.
	if refundable := p.Captured - p.Refunded - p.RefundAsked; refunder && refundable > 0 && p.Status != getpaid.StatusPreAuth {
		add(actRefund, p.Money(refundable).Decimal())
	}
	if p.Locked > 0 && p.Status == getpaid.StatusPreAuth {
		if capturer {
			add(actCapture, p.Money(p.Locked).Decimal())
		}
		if releaser {
			add(actRelease, "")
		}
	}
	switch p.Status {
	case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
		if canceler || p.Status == getpaid.StatusNew {
			add(actCancel, "")
		}
	}
	if fetcher && p.Status != getpaid.StatusNew {
		add(actPoll, "")
	}
	if p.Advance > 0 {
		add(actAcceptAdvance, "")
		add(actRejectAdvance, "")
	}
	return out
}

// confirmPage asks the operator to confirm an action.
type confirmPage struct {
	basePage
	P         *getpaid.Payment
	Action    string
	Label     string
	Verb      string
	Amount    string // as entered
	AmountFmt string // with currency, for the question; empty for "all"
	HasAmount bool
	// AmountBad is whether the amount typed could not be read (an empty
	// AmountFmt would read "all that can be"), or the engine refused it
	// ("at most 10.34 PLN can be refunded"): the page asks for it again and
	// offers nothing to confirm.
	AmountBad bool
	Key       string
	Op        *getpaid.Operation // for resolve and check
	As        string
	Note      string
	Error     string
	// Acknowledge is whether the form confirmed was the acknowledgement of
	// a settled operation the broker contradicted (the confirm page's,
	// showing its error), not a decision on one in doubt; Seen is the
	// operation as that page showed it (OpShown).
	Acknowledge bool
	Seen        string
}

// OpShown is what the acknowledgement's form carries of the operation it
// shows: when it last changed. Another contradiction since (a refund the
// broker reported next), or an acknowledgement, changes it.
func (d *confirmPage) OpShown() string { return strconv.FormatInt(d.Op.UpdatedAt.UnixNano(), 10) }

// Settled reports whether the page is about an operation (to check or to
// resolve) that is already settled: it offers nothing to confirm then.
// One settled and flagged (the broker contradicted how it ended) is
// resolved as the state it is in, to acknowledge it.
func (d *confirmPage) Settled() bool {
	return d.Op != nil && d.Op.State.Final() && !(d.Action == actResolve && d.Op.Flagged)
}

// unseen reports whether the page confirms, as the state it is in, the
// resolution of an operation settled and contradicted by the broker that
// the operator was not shown as it is: a decision on one in doubt (settled
// and contradicted since), or the acknowledgement of a contradiction that
// another has followed since (its form sent again, or left open while
// another operator acknowledged it). The engine would take it for the
// acknowledgement of a contradiction the operator was never shown.
func (d *confirmPage) unseen() bool {
	if d.Action != actResolve || d.Op == nil || !d.Op.State.Final() || !d.Op.Flagged || d.As != string(d.Op.State) {
		return false
	}
	return !d.Acknowledge || d.Seen != d.OpShown()
}

// unseenReason is what an operator is told whose resolution unseen
// refused.
func unseenReason(d *confirmPage) string {
	if d.Acknowledge {
		return fmt.Sprintf("Nothing was done: what the broker said of the %s changed since this page was shown (below), and that is not acknowledged yet. "+
			"Once it is settled at the broker or with the buyer, acknowledge it here.", d.Op.Kind)
	}
	return fmt.Sprintf("Nothing was done: the %s has %s since this page was shown, and what the broker said since contradicts how it ended (below). "+
		"Once that is settled at the broker or with the buyer, acknowledge it here.", d.Op.Kind, d.Op.State)
}

// Running reports whether the page asks to check an operation whose broker
// call is still running, which the engine refuses: nothing to confirm
// either. (Resolving one stays offered: its process may have died.)
func (d *confirmPage) Running() bool {
	return d.Action == actCheck && d.Op != nil && d.Op.State == getpaid.OpSubmitting
}

// Refused reports whether the page offers nothing to confirm: the
// operation is settled, or its broker call still running.
func (d *confirmPage) Refused() bool { return d.Settled() || d.Running() }

// settledReason is what an operator is told who asks to check or resolve
// an operation that is already settled.
func settledReason(op *getpaid.Operation) string {
	return fmt.Sprintf("The %s has already %s: nothing left to check or resolve.", op.Kind, op.State)
}

// runningReason is what an operator is told who asks to check an
// operation whose broker call is still running.
func runningReason(op *getpaid.Operation) string {
	return fmt.Sprintf("The %s's broker call is still running: it is checked once that ends (or once it is taken for lost).", op.Kind)
}

// formStatus is the HTTP status of a confirmation page the console refused
// itself: a conflict for an operation settled meanwhile, or in its broker
// call, else the form's error.
func formStatus(d *confirmPage) int {
	if d.Refused() {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// actionForm reads the action's fields from a posted form.
func (c *Console) actionForm(r *http.Request, s *session, p *getpaid.Payment) (*confirmPage, error) {
	action := r.PostFormValue("action")
	info, ok := actionInfo[action]
	if !ok {
		return nil, &getpaid.FieldError{Field: "action", Reason: "unknown action", Err: getpaid.ErrInvalidRequest}
	}
	if action == actCheck && c.checker == nil {
		return nil, errCannotCheck
	}
	d := &confirmPage{basePage: c.pageBase(s, info.Label, "payments"), P: p, Action: action, Label: info.Label, Verb: info.Verb, HasAmount: info.Amount}
	if info.Amount {
		d.Amount = strings.TrimSpace(r.PostFormValue("amount"))
		if d.Amount != "" {
			m, err := getpaid.ParseMoney(d.Amount, p.Amount.Currency)
			switch {
			case err != nil:
				d.Error, d.AmountBad = "amount: "+err.Error(), true
			case m.Minor <= 0:
				// Left empty is "all that can be"; zero is nothing to ask for.
				d.Error, d.AmountBad = "amount: must be more than zero; leave the field empty for the whole amount", true
			default:
				d.AmountFmt = m.String()
			}
		}
	} else if strings.TrimSpace(r.PostFormValue("amount")) != "" {
		// Not offered by the page: a form made by hand. Ignored, it would
		// act on the whole payment, not on the amount it names.
		d.Error = "amount: " + info.Label + " takes no amount: it is done for the whole payment or not at all. Nothing was done."
	}
	if action == actResolve || action == actCheck {
		op, err := c.svc.Operation(r.Context(), r.PostFormValue("operation"))
		if err != nil || op.PaymentID != p.ID {
			return nil, &getpaid.FieldError{Field: "operation", Reason: "no such operation of this payment", Err: getpaid.ErrNotFound}
		}
		d.Op = op
	}
	if action == actResolve {
		d.As, d.Note = r.PostFormValue("as"), strings.TrimSpace(r.PostFormValue("note"))
		d.Acknowledge, d.Seen = r.PostFormValue("acknowledge") != "", r.PostFormValue("seen")
		if d.As != string(getpaid.OpSucceeded) && d.As != string(getpaid.OpFailed) {
			d.Error = "Say whether the operation succeeded or failed at the broker."
		}
	}
	switch {
	case d.Settled():
		// Settled since the payment's page was shown: there is nothing
		// to confirm (nor to choose).
		d.Error = settledReason(d.Op)
	case d.Running():
		d.Error = runningReason(d.Op)
	}
	return d, nil
}

// confirmAction shows the confirmation step of an action: nothing is done
// yet. The form it shows carries a fresh idempotency key, so submitting it
// twice does the action once.
func (c *Console) confirmAction(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := c.loadAction(w, r, s)
	if !ok {
		return
	}
	d.Key = newActionKey()
	status := http.StatusOK
	if d.Error != "" {
		status = formStatus(d)
	}
	c.render(w, r, status, "confirm", d)
}

// loadAction reads the payment named in the path and the action asked of
// it; on failure it has answered already.
func (c *Console) loadAction(w http.ResponseWriter, r *http.Request, s *session) (*confirmPage, bool) {
	p, err := c.svc.Payment(r.Context(), r.PathValue("id"))
	if err == nil {
		var d *confirmPage
		if d, err = c.actionForm(r, s, p); err == nil {
			return d, true
		}
	}
	c.fail(w, r, s, err)
	return nil, false
}

// newActionKey is the idempotency key a confirmation form carries.
func newActionKey() string { return "console-" + newToken()[:24] }

// doAction carries a confirmed action out through the service, writes the
// audit line, and shows the payment again, or the confirmation step with
// the engine's reason when it was refused (with no form to confirm again
// when the operation to check or resolve is settled).
func (c *Console) doAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d, ok := c.loadAction(w, r, s)
	if !ok {
		return
	}
	p := d.P
	d.Key = r.PostFormValue("key")
	if d.Key == "" && !d.Refused() {
		d.Error = "The form has no idempotency key; start again from the payment's page."
	}
	kv := []any{"payment", p.ID, "order", p.OrderID, "amount", d.AmountFmt, "key", d.Key}
	if d.Op != nil {
		kv = append(kv, "operation", d.Op.ID, "as", d.As, "note", d.Note)
	}
	if d.Error == "" && d.unseen() {
		d.Error = unseenReason(d)
		c.audit(r, s.user, d.Action, "refused", append(kv, "err", d.Error)...)
		d.Key, d.Note = newActionKey(), ""
		c.render(w, r, http.StatusConflict, "confirm", d)
		return
	}
	if d.Error != "" {
		if d.Refused() { // asked of the operation, as the engine's refusal would be
			c.audit(r, s.user, d.Action, "refused", append(kv, "err", d.Error)...)
		}
		d.Key = newActionKey()
		c.render(w, r, formStatus(d), "confirm", d)
		return
	}
	opID, err := c.act(ctx, s, d)
	if err != nil {
		c.audit(r, s.user, d.Action, "refused", append(kv, "err", err.Error())...)
		d.Error = reason(err)
		if op := blocker(err, d.Key); op != nil {
			d.Error = blockedReason(op)
		}
		var fe *getpaid.FieldError
		d.AmountBad = d.HasAmount && errors.As(err, &fe) && fe.Field == "amount"
		if !sameRequest(err, d.Key) {
			d.Key = newActionKey() // a new try is a new request
		}
		if latest, lerr := c.svc.Payment(ctx, p.ID); lerr == nil {
			d.P = latest
		}
		if oe := (*getpaid.OperationError)(nil); d.Op != nil && errors.As(err, &oe) && oe.Op != nil && oe.Op.ID == d.Op.ID {
			// The operation as the engine found it: settled since the
			// page read it (by another operator, the broker or the
			// reconciler), the page names how and offers no form.
			d.Op = oe.Op
			if errors.Is(err, getpaid.ErrConflict) && d.unseen() {
				// Contradicted again between the check above and the
				// engine's write, which refused it: said as above.
				d.Error, d.Note = unseenReason(d), ""
			}
		}
		c.render(w, r, statusOf(err), "confirm", d)
		return
	}
	c.audit(r, s.user, d.Action, "ok", append(kv, "result_operation", opID)...)
	v := url.Values{"done": {d.Action}}
	if opID != "" {
		v.Set("op", opID)
	}
	http.Redirect(w, r, c.prefix+"/payments/"+url.PathEscape(p.ID)+"?"+v.Encode(), http.StatusSeeOther)
}

// act calls the service for a confirmed action and returns the operation
// it created or found, if any.
func (c *Console) act(ctx context.Context, s *session, d *confirmPage) (string, error) {
	req := getpaid.ActionRequest{PaymentID: d.P.ID, IdempotencyKey: d.Key}
	if d.AmountFmt != "" {
		m, _ := getpaid.ParseMoney(d.Amount, d.P.Amount.Currency)
		req.Amount = &m
	}
	var (
		res *getpaid.ActionResult
		err error
	)
	switch d.Action {
	case actRefund:
		res, err = c.svc.Refund(ctx, req)
	case actCapture:
		res, err = c.svc.Capture(ctx, req)
	case actRelease:
		res, err = c.svc.Release(ctx, req)
	case actCancel:
		res, err = c.svc.Cancel(ctx, req)
	case actAcceptAdvance:
		res, err = c.svc.AcceptAdvance(ctx, req)
	case actRejectAdvance:
		res, err = c.svc.RejectAdvance(ctx, req)
	case actPoll:
		_, err = c.svc.Poll(ctx, d.P.ID)
	case actResolve:
		// The operation as this request read it (and, for an
		// acknowledgement, as its form showed it: unseen checked that):
		// the engine refuses it changed since, in its write.
		res, err = c.svc.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: d.Op.ID, As: getpaid.OperationState(d.As), Note: d.Note, By: "console:" + s.user,
			Seen: d.Op.UpdatedAt})
	case actCheck:
		if c.checker == nil { // actionForm refused it already
			return "", errCannotCheck
		}
		var op *getpaid.Operation
		if op, err = c.checker.CheckOperation(ctx, d.Op.ID); err == nil {
			return op.ID, nil
		}
	}
	if err != nil {
		return "", err
	}
	if res != nil && res.Operation != nil {
		return res.Operation.ID, nil
	}
	return "", nil
}

// sameRequest reports whether a refusal is about the operation the form's
// key made, still at the broker or in doubt: the page answering it keeps
// the key, so confirming there again (after a double click, or a lost
// answer) is the same request, answered again, and not a second refund.
// A failed operation is over: trying again is a new request.
func sameRequest(err error, key string) bool {
	var oe *getpaid.OperationError
	return errors.As(err, &oe) && oe.Op != nil && oe.Op.IdempotencyKey == key && !oe.Op.State.Final()
}

// blocker is the operation that kept a capture, release, cancel or refund
// from starting: the engine refuses one while another of the payment is at
// the broker or in doubt, naming that one. The form's own operation (its
// key), sent before and still running, is no blocker: nil then.
func blocker(err error, key string) *getpaid.Operation {
	var oe *getpaid.OperationError
	if errors.As(err, &oe) && oe.Op != nil && errors.Is(err, getpaid.ErrOperationInProgress) && oe.Op.IdempotencyKey != key {
		return oe.Op
	}
	return nil
}

// blockedReason is what an operator is told whose action waits for
// another operation of the payment.
func blockedReason(op *getpaid.Operation) string {
	msg := fmt.Sprintf("Nothing was done: the %s %s of this payment is %s", op.Kind, op.ID, op.State)
	if op.Error != "" {
		msg += " (" + op.Error + ")"
	}
	if op.State == getpaid.OpUnknown {
		return msg + ", and it goes first: the reconciler asks its broker, or resolve it on the payment's page; then try again."
	}
	return msg + " at its broker, and it goes first: try again once it has ended."
}

// statusOf is the HTTP status of a refused action's page.
func statusOf(err error) int {
	switch {
	case errors.Is(err, getpaid.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, getpaid.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, getpaid.ErrForbiddenTransition), errors.Is(err, getpaid.ErrConflict),
		errors.Is(err, getpaid.ErrOperationInProgress), errors.Is(err, getpaid.ErrOperationInDoubt):
		return http.StatusConflict
	}
	var be *getpaid.BrokerError
	if errors.As(err, &be) {
		return http.StatusBadGateway
	}
	return http.StatusUnprocessableEntity
}

// advanceDecisions are the words the engine's AcceptAdvance and
// RejectAdvance put in the cause of the history row they write (the broker
// status of their observation, engine/advance.go).
var advanceDecisions = map[string]string{
	actAcceptAdvance: "(advance accepted",
	actRejectAdvance: "(advance rejected",
}

// doneMessage is the notice shown after an action succeeded. The query is
// the console's own redirect, but anyone can link to it: an action that
// makes an operation is named only with one of this payment's operations of
// its kind (ops), a resolution only with one an operator resolved, a check
// only with one not settled, and a
// decision on an advance only when the payment's history (hist) records
// it, so a crafted link cannot show "Refund asked", "Operation resolved"
// or "Advance accepted" where none was. (A replay's notice is replayDone's.)
func doneMessage(q url.Values, ops []*getpaid.Operation, hist []getpaid.Transition) string {
	action := q.Get("done")
	info, ok := actionInfo[action]
	if !ok {
		return ""
	}
	id := q.Get("op")
	var op *getpaid.Operation
	if id != "" {
		i := slices.IndexFunc(ops, func(o *getpaid.Operation) bool { return o.ID == id })
		if i < 0 {
			return ""
		}
		op = ops[i]
	}
	switch action {
	case actRefund, actCapture, actRelease, actCancel:
		if op == nil || string(op.Kind) != action {
			return ""
		}
	case actResolve:
		if op == nil || op.ResolvedBy == "" {
			return ""
		}
	case actCheck:
		if op == nil || op.State.Final() { // only one not settled can be checked
			return ""
		}
	case actAcceptAdvance, actRejectAdvance:
		if !slices.ContainsFunc(hist, func(t getpaid.Transition) bool { return strings.Contains(t.Cause, advanceDecisions[action]) }) {
			return ""
		}
	}
	if op != nil {
		return info.Done + " (operation " + op.ID + ")."
	}
	return info.Done + "."
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
