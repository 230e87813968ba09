package admin

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// listPage is the payments listing.
type listPage struct {
	basePage
	Form       listForm
	Statuses   []getpaid.Status
	Backends   []string
	Currencies []string
	Payments   []*getpaid.Payment
	Totals     []getpaid.PaymentTotal
	TotalCount int64
	HasTotals  bool
	NextURL    string
	FirstURL   string
	Error      string
}

// listForm is the filter form as the operator filled it in.
type listForm struct {
	Status, Backend, Currency, OrderID, From, To, Cursor string
}

const dateLayout = "2006-01-02"

// filter turns the form into a PaymentFilter: dates are whole UTC days,
// From inclusive and To inclusive.
func (f listForm) filter() (getpaid.PaymentFilter, string) {
	pf := getpaid.PaymentFilter{Status: getpaid.Status(f.Status), Backend: f.Backend, Currency: f.Currency, OrderID: f.OrderID, Cursor: f.Cursor}
	if pf.Status != "" && !pf.Status.Valid() {
		return pf, "Unknown status " + f.Status + "."
	}
	if f.From != "" {
		t, err := time.Parse(dateLayout, f.From)
		if err != nil {
			return pf, "The first day must be a date (YYYY-MM-DD)."
		}
		pf.CreatedAfter = t
	}
	if f.To != "" {
		t, err := time.Parse(dateLayout, f.To)
		if err != nil {
			return pf, "The last day must be a date (YYYY-MM-DD)."
		}
		pf.CreatedBefore = t.Add(24 * time.Hour)
		if !pf.CreatedBefore.After(time.Time{}) {
			// The zero time is the filter's "no bound": a last day
			// before year 1 would list every payment.
			return pf, "The last day must be 0001-01-01 or later."
		}
	}
	return pf, ""
}

// readListForm reads the filter form from a listing's query.
func readListForm(q url.Values) listForm {
	// An order id pasted with blanks around it is the id without them:
	// getpaid refuses order ids that begin or end with one.
	return listForm{Status: q.Get("status"), Backend: q.Get("backend"), Currency: q.Get("currency"),
		OrderID: strings.TrimSpace(q.Get("order_id")), From: q.Get("from"), To: q.Get("to"), Cursor: q.Get("cursor")}
}

// query is the form as a query string, with cursor.
func (f listForm) query(cursor string) string {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "backend": f.Backend, "currency": f.Currency, "order_id": f.OrderID, "from": f.From, "to": f.To, "cursor": cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// listPayments shows one page of payments, newest first, with the totals
// by status for the whole filter.
func (c *Console) listPayments(w http.ResponseWriter, r *http.Request, s *session) {
	form := readListForm(r.URL.Query())
	data := &listPage{basePage: c.pageBase(s, "Payments", "payments"), Form: form, Statuses: getpaid.Statuses()}
	seen := map[string]bool{}
	for _, b := range c.svc.Registry().All() {
		data.Backends = append(data.Backends, b.Name)
		for _, cur := range getpaid.Currencies(b.Broker) {
			if !seen[cur] {
				seen[cur] = true
				data.Currencies = append(data.Currencies, cur)
			}
		}
	}
	slices.Sort(data.Currencies)
	// A backend removed from the config (its payments stay), or a currency
	// none takes now: the select still shows what the list is filtered by,
	// so searching again from the form keeps it.
	if form.Backend != "" && !slices.Contains(data.Backends, form.Backend) {
		data.Backends = append(data.Backends, form.Backend)
	}
	if form.Currency != "" && !slices.Contains(data.Currencies, form.Currency) {
		data.Currencies = append(data.Currencies, form.Currency)
	}
	f, msg := form.filter()
	if m := unreadQuery(r.URL); m != "" {
		msg = m
	}
	if msg != "" {
		data.Error = msg
		c.render(w, r, http.StatusBadRequest, "list", data)
		return
	}
	page, err := c.svc.Payments(r.Context(), f)
	if err != nil {
		if status, ok := badFilter(err); ok {
			data.Error = reason(err)
			c.render(w, r, status, "list", data)
			return
		}
		c.fail(w, r, s, err)
		return
	}
	data.Payments = page.Payments
	if page.NextCursor != "" {
		data.NextURL = c.prefix + "/" + form.query(page.NextCursor)
	}
	if form.Cursor != "" {
		data.FirstURL = c.prefix + "/" + form.query("")
	}
	if c.totals != nil {
		t, err := c.totals.PaymentTotals(r.Context(), f)
		switch {
		case errors.Is(err, getpaid.ErrNotSupported):
			// The store keeps no totals (PostgreSQL): the listing stands alone.
		case err != nil:
			c.log.WarnContext(r.Context(), "admin: totals", "err", err)
		default:
			data.HasTotals, data.Totals = true, t
			for _, x := range t {
				data.TotalCount += x.Count
			}
		}
	}
	c.render(w, r, http.StatusOK, "list", data)
}

// unreadQuery says what of a listing's query the filter would not read: a
// pair url.ParseQuery drops (edge.MalformedQuery), which would list payments
// with that filter gone, or a parameter given twice, of which only the
// first would count. "" when it reads it all, as the JSON API's listing
// refuses the same.
func unreadQuery(u *url.URL) string {
	var fe *getpaid.FieldError
	if err := edge.MalformedQuery(u.RawQuery); errors.As(err, &fe) {
		return "The address's " + fe.Field + " cannot be read (a bad %-escape or a ';' in it): search again from the form."
	}
	for k, vs := range u.Query() {
		if len(vs) > 1 {
			return "The address gives " + k + " more than once: search again from the form."
		}
	}
	return ""
}

// badFilter reports whether err is a refused filter (a bad cursor).
func badFilter(err error) (int, bool) {
	var fe *getpaid.FieldError
	if errorsAs(err, &fe) {
		return http.StatusBadRequest, true
	}
	return 0, false
}

// paymentPage is one payment with everything known about it.
type paymentPage struct {
	basePage
	P          *getpaid.Payment
	Backend    getpaid.Backend
	History    []getpaid.Transition
	Operations []*getpaid.Operation
	Events     []eventView
	Actions    []actionView
	Refundable string
	Done       string
	// Second are the transactions reported as second transactions of the
	// payment (a buyer who paid twice): money at the broker that getpaid
	// counts nowhere, unless the broker has reported it going back.
	Second []getpaid.SecondTransaction
	// GivesBack: the payment's broker confirms the money it pays
	// (getpaid.CallbackConfirmer: Przelewy24's verify), so a second
	// transaction, which getpaid does not confirm, is given back to the
	// buyer by the broker itself: nothing to refund in its panel (unless
	// SecondTransaction.Confirmed: two notifications confirmed at once).
	GivesBack bool
	// InFlight is the payment's capture, release or cancel at its broker
	// or in doubt (Payment.ActiveOp): the others wait for it, and their
	// buttons are disabled with InFlightReason.
	InFlight       *getpaid.Operation
	InFlightReason string
	// CanCheck is whether the service can check an operation with its
	// broker now (getpaid.OperationChecker): the button is shown then.
	CanCheck bool
}

type eventView struct {
	Event      getpaid.Event
	Deliveries []deliveryView
}

type deliveryView struct {
	D        *getpaid.Delivery
	Attempts []getpaid.Attempt
	// Pause is the pause of the delivery's consumer in this process, for
	// a pending delivery: it is sent nothing until then, whatever its
	// next_at says (nil: not paused, or the service does not say).
	Pause *getpaid.ConsumerPause
}

// showPayment shows one payment.
func (c *Console) showPayment(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx := r.Context()
	p, err := c.svc.Payment(ctx, id)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	data := &paymentPage{basePage: c.pageBase(s, "Payment "+p.ID, "payments"), P: p}
	data.Backend, _ = c.svc.Registry().Get(p.Backend)
	if data.History, err = c.svc.History(ctx, id); err != nil {
		c.fail(w, r, s, err)
		return
	}
	ops, err := c.svc.Operations(ctx, getpaid.OperationFilter{PaymentID: id, Limit: getpaid.MaxPageSize})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	data.Operations = ops.Operations
	if data.Events, err = c.events(r, id); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if c.seconds != nil {
		if data.Second, err = c.seconds.SecondTransactions(ctx, id); err != nil && !errors.Is(err, getpaid.ErrNotSupported) {
			c.fail(w, r, s, err)
			return
		}
	}
	data.GivesBack = is[getpaid.CallbackConfirmer](data.Backend.Broker)
	data.Actions = actionsFor(p, data.Backend)
	if p.ActiveOp != "" {
		i := slices.IndexFunc(data.Operations, func(o *getpaid.Operation) bool { return o.ID == p.ActiveOp })
		var op *getpaid.Operation
		if i >= 0 {
			op = data.Operations[i]
		} else if op, err = c.svc.Operation(ctx, p.ActiveOp); err != nil {
			op = nil // not found: the engine still refuses what it must, and says why
		}
		if op != nil && !op.State.Final() {
			data.InFlight, data.InFlightReason = op, inFlightReason(op)
			for i := range data.Actions {
				data.Actions[i].Blocked = exclusive(data.Actions[i].Name)
			}
		}
	}
	data.Refundable = p.Money(p.Captured - p.Refunded - p.RefundAsked).Decimal()
	data.CanCheck = c.checker != nil
	switch q := r.URL.Query(); {
	case q.Get("done") == "replay":
		data.Done = replayDone(q, s, p.ID)
	case data.CanCheck || q.Get("done") != actCheck: // no notice of a check it cannot make
		data.Done = doneMessage(q, data.Operations, data.History)
	}
	c.render(w, r, http.StatusOK, "payment", data)
}

// events lists a payment's events, newest first, with their deliveries and
// the attempts at each.
func (c *Console) events(r *http.Request, id string) ([]eventView, error) {
	ctx := r.Context()
	evs, err := c.svc.Events(ctx, getpaid.EventFilter{PaymentID: id, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil, err
	}
	dels, err := c.svc.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: id, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil, err
	}
	paused := map[string]*getpaid.ConsumerPause{}
	if c.pauses != nil {
		for _, cp := range c.pauses.Paused() {
			paused[cp.Consumer] = &cp
		}
	}
	byEvent := map[string][]deliveryView{}
	for _, d := range dels.Deliveries {
		dv := deliveryView{D: d}
		if d.State == getpaid.DeliveryPending {
			dv.Pause = paused[d.Consumer]
		}
		// A delivery delivered again counts its attempts from then on
		// (they place it in its retry schedule); those before are
		// still listed, and said "in all".
		if d.Attempts > 0 || d.LastStatus != 0 || d.LastError != "" || !d.DeliveredAt.IsZero() {
			if dv.Attempts, err = c.svc.Attempts(ctx, d.ID); err != nil {
				return nil, err
			}
		}
		byEvent[d.EventID] = append(byEvent[d.EventID], dv)
	}
	out := make([]eventView, 0, len(evs.Events))
	for _, ev := range evs.Events {
		out = append(out, eventView{Event: ev, Deliveries: byEvent[ev.ID]})
	}
	return out, nil
}
