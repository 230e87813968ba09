package shop

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

//go:embed templates/*.html
var templateFS embed.FS

var tmpl = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Shop is the demo shop. It is getpaid's OrderSource (step 5) and listens to
// its events (step 6).
type Shop struct {
	db      *sql.DB
	eng     *engine.Engine
	baseURL string
	log     *slog.Logger
}

// New prepares the shop's table in db. baseURL is where the shop is reachable.
func New(ctx context.Context, db *sql.DB, baseURL string, log *slog.Logger) (*Shop, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Shop{db: db, baseURL: strings.TrimRight(baseURL, "/"), log: log}
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
func (s *Shop) Order(ctx context.Context, id string) (*getpaid.Order, error) {
	o, err := s.shopOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	return &getpaid.Order{
		ID: o.ID, Amount: o.Price, Description: o.Name,
		Buyer:     getpaid.Buyer{Email: o.Email, Language: "en"},
		ReturnURL: s.baseURL + "/orders/" + o.ID,
	}, nil
}

// CheckPayable implements getpaid.OrderChecker: a paid order is not paid again.
func (s *Shop) CheckPayable(ctx context.Context, o *getpaid.Order) error {
	so, err := s.shopOrder(ctx, o.ID)
	if err != nil {
		return err
	}
	if so.Paid {
		return errors.New("order already paid")
	}
	return nil
}

// OnPaymentEvent is the shop's getpaid listener (step 6): it marks the order
// paid exactly once, however often the event is delivered.
func (s *Shop) OnPaymentEvent(ctx context.Context, ev getpaid.Event) error {
	if ev.Type == getpaid.EventStatusChanged && ev.To == getpaid.StatusPaid {
		s.log.Info("order paid", "order", ev.OrderID, "payment", ev.PaymentID, "amount", ev.Amount.String())
		return s.markPaid(ctx, ev.OrderID, ev.ID)
	}
	return nil
}

// Handler serves the shop, with getpaid's handler mounted at /payments/.
func (s *Shop) Handler(payments http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/payments/", http.StripPrefix("/payments", payments)) // step 4
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /orders", s.order)
	mux.HandleFunc("GET /orders/{id}", s.orderPage)
	return mux
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	render(w, "home.html", map[string]any{"Products": catalogue})
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.FormValue("email"))
	if email == "" {
		email = "buyer@example.com"
	}
	o, err := s.placeOrder(r.Context(), r.FormValue("sku"), email)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	o, err := s.shopOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	var payments []*getpaid.Payment
	if s.eng != nil {
		if page, err := s.eng.Payments(r.Context(), getpaid.PaymentFilter{OrderID: o.ID}); err == nil {
			payments = page.Payments
		}
	}
	pending := false
	for _, p := range payments {
		if p.Status == getpaid.StatusPrepared || p.Status == getpaid.StatusChargeStarted {
			pending = true
		}
	}
	render(w, "order.html", map[string]any{"Order": o, "Payments": payments, "Pending": pending && !o.Paid})
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
	}
}
