package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Config configures a Handler. Service is required.
type Config struct {
	// Service is the payment service (an *engine.Engine).
	Service getpaid.Service
	// APIKeys are the Bearer keys accepted by /api/v1/payments. With none, the
	// payments API answers 401 to everyone (the backends list stays public).
	APIKeys []string
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto are believed. Anyone else's are ignored.
	TrustedProxies []netip.Prefix
	// Orders reads the merchant's orders for the payment-method form (library
	// mode). Without it /pay/ answers 404.
	Orders getpaid.OrderSource
	// MaxCallbackBytes bounds a callback body (default 1 MiB).
	MaxCallbackBytes int64
	Logger           *slog.Logger
	// OnCallback, if set, gets a report of every callback request (its
	// outcome, or why it was refused) after it was answered: metrics and
	// the operator console count them. It must be quick.
	OnCallback CallbackHook
}

// Handler serves getpaid's HTTP routes. Mount it under any prefix with
// http.StripPrefix.
type Handler struct {
	svc     getpaid.Service
	keys    [][]byte
	proxies []netip.Prefix
	orders  getpaid.OrderSource
	maxBody int64
	log     *slog.Logger
	mux     *http.ServeMux

	onCallback CallbackHook
}

// New builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("httpapi: Config.Service is required")
	}
	h := &Handler{svc: cfg.Service, proxies: cfg.TrustedProxies, orders: cfg.Orders, maxBody: cfg.MaxCallbackBytes, log: cfg.Logger, onCallback: cfg.OnCallback}
	for _, k := range cfg.APIKeys {
		if len(k) < 16 {
			return nil, fmt.Errorf("httpapi: API keys must be at least 16 characters")
		}
		h.keys = append(h.keys, []byte(k))
	}
	if h.maxBody <= 0 {
		h.maxBody = 1 << 20
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/backends", h.listBackends)
	mux.HandleFunc("POST /api/v1/payments", h.auth(h.createPayment))
	mux.HandleFunc("GET /api/v1/payments", h.auth(h.listPayments))
	mux.HandleFunc("GET /api/v1/payments/{id}", h.auth(h.getPayment))
	mux.HandleFunc("POST /api/v1/payments/{id}/{action}", h.auth(h.paymentAction))
	mux.HandleFunc("GET /api/v1/payments/{id}/operations", h.auth(h.listOperations))
	mux.HandleFunc("GET /api/v1/operations", h.auth(h.listOperations))
	mux.HandleFunc("GET /api/v1/operations/{id}", h.auth(h.getOperation))
	mux.HandleFunc("POST /api/v1/operations/{id}/resolve", h.auth(h.resolveOperation))
	mux.HandleFunc("GET /api/v1/events", h.auth(h.listEvents))
	mux.HandleFunc("GET /api/v1/events/{id}", h.auth(h.getEvent))
	mux.HandleFunc("POST /api/v1/events/{id}/replay", h.auth(h.replayEvent))
	mux.HandleFunc("POST /api/v1/events/replay_dead", h.auth(h.replayDead))
	mux.HandleFunc("POST "+getpaid.CallbackPath+"{backend}", h.callback)
	mux.HandleFunc("GET "+getpaid.SuccessPath+"{id}", h.returned)
	mux.HandleFunc("GET "+getpaid.FailurePath+"{id}", h.returned)
	mux.HandleFunc("GET /pay/{order}", h.paymentForm)
	mux.HandleFunc("POST /pay/{order}", h.startOrder)
	for _, b := range cfg.Service.Registry().All() {
		if ps, ok := b.Broker.(getpaid.PageServer); ok {
			prefix := getpaid.PagesPath + b.Name
			mux.Handle(prefix+"/", http.StripPrefix(prefix, ps.Pages()))
		}
	}
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(w, r) // 404 and 405 in the API's JSON shape
		return
	}
	h.mux.ServeHTTP(w, r)
}

// PaymentFormPath is the path, relative to the mount point, of an order's
// payment-method form.
func PaymentFormPath(orderID string) string { return "/pay/" + orderID }

func trimSlash(s string) string { return strings.TrimRight(s, "/") }

// Under serves h under prefix ("/gp" for a base URL https://shop.example/gp):
// a request below it reaches h without the prefix, anything else is
// answered 404 in the API's error shape.
func Under(prefix string, h http.Handler) http.Handler {
	prefix = trimSlash(prefix)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != prefix && !strings.HasPrefix(r.URL.Path, prefix+"/") {
			writeJSON(w, http.StatusNotFound, map[string]apiError{"error": {Code: "not_found",
				Message: "no such route: getpaid is served under " + prefix + "/"}})
			return
		}
		http.StripPrefix(prefix, h).ServeHTTP(w, r)
	})
}
