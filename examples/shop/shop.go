package shop

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

var tmpl = template.Must(template.New("").Funcs(ui.Funcs()).ParseFS(templateFS, "templates/*.html"))

// Shop is the demo shop. It is getpaid's OrderSource (step 5) and listens to
// its events (step 6).
type Shop struct {
	db          *sql.DB
	eng         *engine.Engine
	reg         *getpaid.Registry
	baseURL     string
	log         *slog.Logger
	confirmWait time.Duration
	refresh     time.Duration
}

// New prepares the shop's table in db. baseURL is where the shop is reachable.
func New(ctx context.Context, db *sql.DB, baseURL string, log *slog.Logger) (*Shop, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Shop{db: db, baseURL: strings.TrimRight(baseURL, "/"), log: log, confirmWait: 20 * time.Second, refresh: time.Second}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

var (
	_ getpaid.OrderSource  = (*Shop)(nil)
	_ getpaid.OrderChecker = (*Shop)(nil)
)

// Order implements getpaid.OrderSource: how getpaid reads an order (step 5).
// The amount is what is left to pay: the price less what earlier payments
// of the order captured, so a partly paid order is paid up, not paid twice.
func (s *Shop) Order(ctx context.Context, id string) (*getpaid.Order, error) {
	o, err := s.shopOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	received, err := s.received(ctx, o)
	if err != nil {
		return nil, err
	}
	amount := o.Price
	if received > 0 && received < amount.Minor {
		amount.Minor -= received
	}
	desc := o.Name
	if amount != o.Price {
		desc = o.Name + " (the rest)"
	}
	return &getpaid.Order{
		ID: o.ID, Amount: amount, Description: desc,
		Buyer:     getpaid.Buyer{Email: o.Email, Language: "en"},
		ReturnURL: s.baseURL + "/orders/" + o.ID,
	}, nil
}

// CheckPayable implements getpaid.OrderChecker: a paid order is not paid
// again, and one whose money is held or awaits a decision is settled first.
// The payment form shows the reason. When it cannot tell (a database
// away), it says so with getpaid.ErrUnavailable: the buyer is asked to try
// again and the error goes to the log, not onto the page.
func (s *Shop) CheckPayable(ctx context.Context, o *getpaid.Order) error {
	so, err := s.shopOrder(ctx, o.ID)
	if err != nil {
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	}
	if so.Paid {
		return errors.New("this order is already paid")
	}
	payments, err := s.payments(ctx, o.ID)
	if err != nil {
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	}
	var received int64
	for _, p := range payments {
		if p.Amount.Currency == so.Price.Currency { // another currency pays nothing of the price
			received += p.Captured
		}
		switch {
		case p.Status == getpaid.StatusPreAuth:
			return errors.New("funds for this order are held: capture or release them on the order page first")
		case p.Advance > 0:
			return errors.New("a payment of another amount awaits the shop's decision on the order page")
		}
	}
	if received >= so.Price.Minor {
		return errors.New("this order is already paid")
	}
	return nil
}

// OnPaymentEvent is the shop's getpaid listener (step 6): it marks the order
// paid exactly once, however often the event is delivered, when its
// payments together captured the price (one payment, or a partial one and
// the rest).
func (s *Shop) OnPaymentEvent(ctx context.Context, ev getpaid.Event) error {
	if ev.Type != getpaid.EventStatusChanged || (ev.To != getpaid.StatusPaid && ev.To != getpaid.StatusPartiallyPaid) {
		return nil
	}
	o, err := s.shopOrder(ctx, ev.OrderID)
	if err != nil {
		return err
	}
	received, err := s.received(ctx, o)
	if err != nil {
		return err
	}
	if received < o.Price.Minor {
		return nil
	}
	s.log.Info("order paid", "order", ev.OrderID, "payment", ev.PaymentID, "amount", ev.Amount.String())
	return s.markPaid(ctx, ev.OrderID, ev.ID)
}

// payments lists an order's payments, newest first.
func (s *Shop) payments(ctx context.Context, orderID string) ([]*getpaid.Payment, error) {
	if s.eng == nil {
		return nil, nil
	}
	page, err := s.eng.Payments(ctx, getpaid.PaymentFilter{OrderID: orderID, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil, err
	}
	return page.Payments, nil
}

// received is what the order's payments captured, in the order's currency.
func (s *Shop) received(ctx context.Context, o *ShopOrder) (int64, error) {
	ps, err := s.payments(ctx, o.ID)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range ps {
		if p.Amount.Currency == o.Price.Currency {
			n += p.Captured
		}
	}
	return n, nil
}

// Handler serves the shop, with getpaid's handler mounted at /payments/.
// The shop's own pages carry the headers getpaid's pages do: a
// Content-Security-Policy allowing only the inlined stylesheet, no
// framing, no MIME sniffing, no caching.
func (s *Shop) Handler(payments http.Handler) http.Handler {
	pages := http.NewServeMux()
	pages.HandleFunc("GET /{$}", s.home)
	pages.HandleFunc("POST /orders", s.order)
	pages.HandleFunc("GET /orders/{id}", s.orderPage)
	pages.HandleFunc("POST /orders/{id}/payments/{payment}/{action}", s.paymentAction)
	// Anything else (a mistyped address, the order form's opened as a
	// page) is the shop's page saying so, with the way back.
	pages.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, http.StatusNotFound, "There is no such page in the shop.")
	})
	// The shop's forms order and act on the buyer's orders: one another
	// site's page sends through the buyer's browser is refused (by
	// Sec-Fetch-Site or Origin, as getpaid's own payment form does).
	sameSite := http.NewCrossOriginProtection()
	sameSite.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, http.StatusForbidden, "The form came from another site, so nothing was done. Use the shop's own pages.")
	}))
	mux := http.NewServeMux()
	mux.Handle("/payments/", http.StripPrefix("/payments", payments)) // step 4
	mux.Handle("/", edge.Page(sameSite.Handler(pages)))
	return mux
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	type item struct {
		Product
		Payable bool
	}
	var items []item
	for _, p := range catalogue {
		ok := s.reg == nil || len(s.reg.ForCurrency(p.Price.Currency)) > 0
		items = append(items, item{p, ok})
	}
	render(w, http.StatusOK, "home.html", map[string]any{"Products": items})
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.FormValue("email"))
	if email == "" {
		email = "buyer@example.com"
	}
	o, err := s.placeOrder(r.Context(), r.FormValue("sku"), email)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "That product is not in the shop.")
		return
	}
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	waited, _ := strconv.Atoi(r.URL.Query().Get("waited"))
	s.showOrder(w, r, http.StatusOK, "", time.Duration(max(0, waited))*time.Second)
}

// showOrder renders the order page, with errMsg about a refused action;
// waited is how long the page has waited for a broker already.
func (s *Shop) showOrder(w http.ResponseWriter, r *http.Request, status int, errMsg string, waited time.Duration) {
	o, err := s.shopOrder(r.Context(), r.PathValue("id"))
	if errors.Is(err, getpaid.ErrNotFound) {
		s.errorPage(w, http.StatusNotFound, "There is no such order.")
		return
	}
	if err != nil {
		s.log.Error("order page", "err", err)
		s.errorPage(w, http.StatusInternalServerError, "The order could not be read; try again.")
		return
	}
	payments, err := s.payments(r.Context(), o.ID)
	if err != nil {
		s.log.Error("order page", "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, "The order's payments could not be read; try again.")
		return
	}
	opt := viewOptions{
		waited: waited, confirmWait: s.confirmWait, refresh: s.refresh,
		titles: s.backendTitle, polls: s.backendPolls, key: newKey,
	}
	if at, err := strconv.ParseInt(r.URL.Query().Get("checked"), 10, 64); err == nil {
		// Set by "check again": said only while it is news.
		ago := time.Since(time.Unix(at, 0))
		opt.checked = ago >= -time.Minute && ago < time.Minute
	}
	if len(payments) > 0 && payments[0].Status == getpaid.StatusFailed {
		// Why it failed: declined at the broker, or an advance rejected.
		h, err := s.eng.History(r.Context(), payments[0].ID)
		if err != nil {
			s.log.Error("order page", "err", err)
			s.errorPage(w, http.StatusServiceUnavailable, "The order's payments could not be read; try again.")
			return
		}
		if len(h) > 0 {
			opt.lastCause = h[len(h)-1].Cause
		}
	}
	v := buildView(o, payments, opt)
	v.Error = errMsg
	w.Header().Set("Cache-Control", "no-store")
	render(w, status, "order.html", v)
}

// backendTitle is a backend's title and kind.
func (s *Shop) backendTitle(name string) (string, string) {
	if s.reg != nil {
		if b, ok := s.reg.Get(name); ok {
			return b.Title, b.Kind
		}
	}
	return name, name
}

// backendPolls reports whether a backend's broker can be asked about a
// payment (getpaid's poll): "Check again" is offered only then.
func (s *Shop) backendPolls(name string) bool {
	if s.reg == nil {
		return true
	}
	b, ok := s.reg.Get(name)
	if !ok {
		return false
	}
	_, ok = b.Broker.(getpaid.StatusFetcher)
	return ok
}

// paymentAction runs what the order page offers on a payment: capture or
// release a hold, accept or reject an advance, or ask the broker again
// ("check again"). Captures carry the idempotency key the page was rendered
// with, so submitting the form twice captures once.
func (s *Shop) paymentAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orderID, id := r.PathValue("id"), r.PathValue("payment")
	p, err := s.eng.Payment(ctx, id)
	if err != nil || p.OrderID != orderID {
		s.showOrder(w, r, http.StatusNotFound, "That payment is not one of this order's.", 0)
		return
	}
	req := getpaid.ActionRequest{PaymentID: id, IdempotencyKey: r.PostFormValue("key")}
	if a := strings.TrimSpace(r.PostFormValue("amount")); a != "" {
		m, err := getpaid.ParseMoney(a, p.Amount.Currency)
		if err != nil {
			s.showOrder(w, r, http.StatusUnprocessableEntity, "The amount "+a+" is not a valid amount in "+p.Amount.Currency+".", 0)
			return
		}
		req.Amount = &m
	}
	switch r.PathValue("action") {
	case "capture":
		if req.IdempotencyKey == "" {
			req.IdempotencyKey = newKey()
		}
		_, err = s.eng.Capture(ctx, req)
	case "release":
		_, err = s.eng.Release(ctx, req)
	case "accept_advance":
		_, err = s.eng.AcceptAdvance(ctx, req)
	case "reject_advance":
		_, err = s.eng.RejectAdvance(ctx, req)
	case "poll":
		_, err = s.eng.Poll(ctx, id)
		if errors.Is(err, getpaid.ErrNotSupported) {
			err = nil // the broker cannot be asked: the page says what is known
		}
	default:
		s.showOrder(w, r, http.StatusNotFound, "Unknown action.", 0)
		return
	}
	if err != nil {
		s.log.Warn("order page action refused", "order", orderID, "payment", id, "action", r.PathValue("action"), "err", err)
		var waited time.Duration
		if r.PathValue("action") == "poll" {
			// The broker was asked and did not answer: the page says so
			// beside "check again" and the way to pay, rather than
			// starting a new wait that reloads the answer away.
			waited = s.confirmWait
		}
		s.showOrder(w, r, http.StatusUnprocessableEntity, actionError(err), waited)
		return
	}
	if r.PathValue("action") == "poll" {
		// The broker was just asked: show what it answered, without
		// waiting again as if nothing had been checked.
		waited := (s.confirmWait + time.Second - 1) / time.Second
		http.Redirect(w, r, fmt.Sprintf("/orders/%s?waited=%d&checked=%d", orderID, waited, time.Now().Unix()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/orders/"+orderID, http.StatusSeeOther)
}

// keyReused begins the reason getpaid gives for an idempotency key sent
// again with another request.
const keyReused = "already used for another request "

// actionError says why getpaid refused an action, in words for the page.
func actionError(err error) string {
	var (
		fe *getpaid.FieldError
		te *getpaid.TransitionError
		be *getpaid.BrokerError
		oe *getpaid.OperationError
	)
	switch {
	case errors.As(err, &oe) && errors.Is(err, getpaid.ErrOperationFailed):
		return "The broker refused: " + oe.Op.Error + "."
	case errors.As(err, &fe) && fe.Field == "Idempotency-Key" && strings.HasPrefix(fe.Reason, keyReused):
		// The form's key went with an earlier submission of it (another
		// amount, from a page shown before): a new page has a new key.
		return "This form was sent already " + strings.TrimPrefix(fe.Reason, keyReused) +
			": reload the page to see the payment as it is now, and try again from there."
	case errors.As(err, &fe):
		return "Refused: " + fe.Reason + "."
	case errors.As(err, &te):
		return "Refused: the payment is now “" + ui.StatusLabel(te.From) + "”; " + te.Reason + "."
	case errors.Is(err, getpaid.ErrOperationInProgress):
		return "Another request on this payment is at the broker; wait a moment."
	case errors.Is(err, getpaid.ErrOperationInDoubt):
		return "The broker's answer was lost; getpaid is finding out what happened. Check again in a moment."
	case errors.Is(err, getpaid.ErrNotSupported):
		return "This broker does not support that."
	case errors.As(err, &be) && be.Status == http.StatusNotFound:
		// The broker answered (a simulator restarted forgets the
		// payments it had): trying again gets the same answer.
		return "The broker does not know this payment (" + be.Error() + "); place a new order."
	case errors.As(err, &be) && be.Status != 0 && !be.Retryable:
		return "The broker refused: " + be.Error() + "."
	case errors.As(err, &be):
		return "The broker could not be reached; try again."
	}
	return "The request failed; try again."
}

func (s *Shop) errorPage(w http.ResponseWriter, status int, msg string) {
	render(w, status, "error.html", map[string]any{"Message": msg})
}

// newKey is a fresh idempotency key for a form.
func newKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := tmpl.ExecuteTemplate(w, name, data); err != nil {
		fmt.Fprint(w, "<p>template error</p>")
	}
}
