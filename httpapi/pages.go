package httpapi

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(ui.Funcs()).ParseFS(templateFS, "templates/*.html"))

// returned handles /success/{id} and /failure/{id}. A return is never trusted
// for status: it changes nothing and sends the buyer to the order's page.
func (h *Handler) returned(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.Payment(r.Context(), r.PathValue("id"))
	if err != nil {
		status := statusOf(r, err)
		msg := "The payment could not be read now; try again in a moment."
		if status == http.StatusNotFound {
			msg = "There is no such payment."
		}
		ui.WriteNotice(w, status, ui.Notice{Title: "Payment", Tone: "bad", Heading: msg})
		return
	}
	if p.ReturnURL != "" {
		http.Redirect(w, r, p.ReturnURL, http.StatusSeeOther)
		return
	}
	renderPage(w, http.StatusOK, edge.PageCSP, "status.html", p)
}

type formView struct {
	Order    *getpaid.Order
	Backends []getpaid.Backend
	Error    string
	// Refused is why the order cannot be paid now (the OrderChecker's
	// reason): the form then offers no method.
	Refused string
}

// paymentForm renders the payment-method form for an order: only the backends
// that accept the order's currency are offered.
func (h *Handler) paymentForm(w http.ResponseWriter, r *http.Request) {
	o, ok := h.order(w, r)
	if !ok || !h.payable(w, r, o) {
		return
	}
	h.renderForm(w, http.StatusOK, o, "")
}

// payable asks the shop's OrderChecker whether o may be paid now, and when
// not answers as the form does (503 undecided, 404 not this buyer's, 409
// refused with the reason) and reports false.
func (h *Handler) payable(w http.ResponseWriter, r *http.Request, o *getpaid.Order) bool {
	chk, ok := h.orders.(getpaid.OrderChecker)
	if !ok {
		return true
	}
	err := chk.CheckPayable(r.Context(), o)
	switch {
	case err == nil:
		return true
	case undecided(err):
		// Not a refusal: the shop could not tell now. Its error is
		// for the merchant's log, not the buyer.
		err = fmt.Errorf("checking whether order %q may be paid: %w", o.ID, err)
		h.noteError(w, r, http.StatusServiceUnavailable, err)
		ui.WriteNotice(w, http.StatusServiceUnavailable, ui.Notice{Title: "Payment", Tone: "bad",
			Heading: "The order could not be checked now; try again in a moment."})
	case errors.Is(err, getpaid.ErrNotFound):
		noSuchOrder(w) // the shop's check says so (another buyer's order)
	default:
		renderPage(w, http.StatusConflict, edge.PageCSP, "form.html", formView{Order: o, Refused: err.Error()})
	}
	return false
}

func (h *Handler) renderForm(w http.ResponseWriter, status int, o *getpaid.Order, msg string) {
	backends := h.svc.Registry().ForCurrency(o.Amount.Currency)
	if len(backends) == 0 {
		// The page says no method accepts the currency: "choose one of
		// these" would point at an empty list.
		msg = ""
	}
	renderPage(w, status, edge.PageCSP, "form.html", formView{Order: o, Backends: backends, Error: msg})
}

func (h *Handler) order(w http.ResponseWriter, r *http.Request) (*getpaid.Order, bool) {
	if h.orders == nil {
		ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: "Payment", Tone: "bad", Heading: "Payments for orders are not enabled here."})
		return nil, false
	}
	o, err := h.orders.Order(r.Context(), r.PathValue("order"))
	if err == nil && o == nil {
		err = getpaid.ErrNotFound // a source that found nothing and said no error
	}
	if err == nil {
		err = orderMoney(o.Amount)
	}
	if v, ok := h.svc.(getpaid.OrderValidator); ok && err == nil {
		// An order Pay would refuse whatever the method (a buyer's
		// e-mail that is none, a blank in its return URL): no method
		// to choose, which could only fail.
		err = v.CheckOrder(o)
	}
	if err != nil {
		status := statusOf(r, err)
		msg := "The order could not be read now; try again in a moment."
		var (
			me *getpaid.MoneyError
			fe *getpaid.FieldError
		)
		switch {
		case status == http.StatusNotFound:
			msg = "There is no such order."
		case errors.As(err, &me):
			// The shop's amount or currency is not Money ("10.001" PLN,
			// "pln"): refused for good, as an order a payment cannot
			// carry is on the form, never "try again".
			field := "amount"
			if errors.Is(me.Err, getpaid.ErrUnknownCurrency) {
				field = "currency"
			}
			msg = "This order cannot be paid: its " + field + " is not accepted (" + me.Reason + ")."
		case errors.As(err, &fe) && (errors.Is(err, getpaid.ErrInvalidAmount) || errors.Is(err, getpaid.ErrUnknownCurrency) || errors.Is(err, getpaid.ErrInvalidRequest)):
			msg = "This order cannot be paid: its " + fe.Field + " is not accepted (" + fe.Reason + ")."
		}
		// The buyer is told what to do; the merchant's log says why.
		h.noteError(w, r, status, fmt.Errorf("reading order %q: %w", r.PathValue("order"), err))
		ui.WriteNotice(w, status, ui.Notice{Title: "Payment", Tone: "bad", Heading: msg})
		return nil, false
	}
	return o, true
}

// noSuchOrder answers an order the shop does not know, or will not show to
// this buyer (getpaid.ErrNotFound from its OrderSource or its
// OrderChecker): 404, nothing of the order shown.
func noSuchOrder(w http.ResponseWriter) {
	ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: "Payment", Tone: "bad", Heading: "There is no such order."})
}

// orderMoney refuses an order's amount that is Money no payment can carry
// (nothing or less: a free order, "0.00" as ParseMoney reads it; an Amount
// the source left unset, or set without a currency), as Pay would refuse
// it: the form then offers no method to choose; nil otherwise.
func orderMoney(m getpaid.Money) error {
	switch {
	case m.IsZero():
		return &getpaid.FieldError{Field: "amount", Reason: "required", Err: getpaid.ErrInvalidAmount}
	case m.Currency == "":
		return &getpaid.FieldError{Field: "currency", Reason: "required", Err: getpaid.ErrUnknownCurrency}
	case m.Minor <= 0:
		return &getpaid.FieldError{Field: "amount", Reason: "must be greater than zero", Err: getpaid.ErrInvalidAmount}
	}
	return nil
}

// sameSite refuses (403) a form another site's page sent through the
// buyer's browser (cross-site request forgery, by Sec-Fetch-Site or
// Origin): the form pays the signed-in buyer's order, cookies and all.
// A request no browser sent (neither header) passes.
func sameSite(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ui.WriteNotice(w, http.StatusForbidden, ui.Notice{Title: "Payment", Tone: "bad",
			Heading: "The payment was not started: the form came from another site. Choose a payment method on the shop's own page."})
	}))
	return cop.Handler(next)
}

// startOrder pays the order with the chosen backend and sends the buyer on:
// a 302 for GET brokers, an auto-submitting form of signed fields for POST ones.
func (h *Handler) startOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := h.order(w, r)
	if !ok {
		return
	}
	// A form refused before PayOrder asks the shop's checker is answered
	// as the form would be (payable): the form again only for an order
	// this buyer may pay, never another buyer's order shown.
	if err := h.readForm(w, r); err != nil {
		status, _ := classify(err)
		h.noteError(w, r, status, err)
		if h.payable(w, r, o) {
			h.renderForm(w, status, o, "The form could not be read. Please try again.")
		}
		return
	}
	switch backends := r.PostForm["backend"]; {
	case len(backends) > 1: // a crafted form: which did the buyer mean?
		if h.payable(w, r, o) {
			h.renderForm(w, http.StatusUnprocessableEntity, o, "Please choose one payment method.")
		}
		return
	case r.PostForm.Get("backend") == "":
		if h.payable(w, r, o) {
			h.renderForm(w, http.StatusUnprocessableEntity, o, "Please choose a payment method.")
		}
		return
	}
	p, err := h.svc.PayOrder(r.Context(), h.orders, o.ID, r.PostForm.Get("backend"), h.ClientIP(r))
	if err != nil {
		status := statusOf(r, err)
		h.noteError(w, r, status, err)
		if errors.Is(err, getpaid.ErrNotFound) {
			noSuchOrder(w) // as the form says it: no order shown
			return
		}
		if errors.Is(err, getpaid.ErrOrderNotPayable) {
			// As the form itself says it (a second tab, the back button):
			// the reason, and no method to choose again.
			reason := notPayableReason(err)
			if reason == "" {
				reason = "the shop takes no payment for it now"
			}
			renderPage(w, status, edge.PageCSP, "form.html", formView{Order: o, Refused: reason})
			return
		}
		h.renderForm(w, status, o, formMessage(err, o))
		return
	}
	WriteRedirect(w, r, p.Redirect)
}

// formMessage tells the buyer why the order could not be paid. A field
// error names its field: the payment method when that is what to change,
// else the order's field that a payment cannot carry (for the merchant to
// fix).
func formMessage(err error, o *getpaid.Order) string {
	var fe *getpaid.FieldError
	switch {
	case errors.As(err, &fe) && fe.Field == "backend" && errors.Is(err, getpaid.ErrUnknownBackend):
		return "Please choose one of these payment methods: the one chosen is not offered here."
	case errors.As(err, &fe) && (fe.Field == "backend" || fe.Field == "currency"):
		return "Please choose one of these payment methods: the one chosen does not accept " + o.Amount.Currency + "."
	case errors.As(err, &fe):
		return "This order cannot be paid: its " + fe.Field + " is not accepted (" + fe.Reason + ")."
	case errors.Is(err, getpaid.ErrOrderNotPayable):
		if reason := notPayableReason(err); reason != "" {
			return "This order cannot be paid now: " + reason + "."
		}
		return "This order cannot be paid now."
	case errors.Is(err, getpaid.ErrLivePaymentExists):
		return "This order already has a payment in progress."
	}
	return "The payment could not be started. Please try again."
}

// notPayableReason is the shop's reason an order cannot be paid now, when
// it gave one beside getpaid.ErrOrderNotPayable; "" when it gave none.
func notPayableReason(err error) string {
	var reason interface{ Unwrap() []error }
	if errors.As(err, &reason) {
		for _, e := range reason.Unwrap() {
			if !errors.Is(e, getpaid.ErrOrderNotPayable) {
				return e.Error()
			}
		}
	}
	return ""
}

// undecided reports whether an OrderChecker's err says it could not decide
// now (its database away, out of time) rather than refusing the order.
func undecided(err error) bool {
	return errors.Is(err, getpaid.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// WriteRedirect sends the buyer to the broker: 302 for GET, or an HTML page
// that auto-submits the signed fields for POST. A redirect that is nil or
// has no URL (a payment read back before it was prepared) is answered 500,
// a page saying the buyer could not be sent on.
func WriteRedirect(w http.ResponseWriter, r *http.Request, rd *getpaid.Redirect) {
	if rd == nil || rd.URL == "" {
		ui.WriteNotice(w, http.StatusInternalServerError, ui.Notice{Title: "Payment", Tone: "bad",
			Heading: "You could not be sent to the payment: the shop has no address to send you to. Please try again."})
		return
	}
	if rd.Method == http.MethodPost {
		renderPage(w, http.StatusOK, redirectCSP, "redirect.html", rd)
		return
	}
	http.Redirect(w, r, rd.URL, http.StatusFound)
}
