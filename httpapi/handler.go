package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// Config configures a Handler. Engine is required.
type Config struct {
	Engine *engine.Engine
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
}

// Handler serves getpaid's HTTP routes. Mount it under any prefix with
// http.StripPrefix.
type Handler struct {
	eng     *engine.Engine
	keys    [][]byte
	proxies []netip.Prefix
	orders  getpaid.OrderSource
	maxBody int64
	log     *slog.Logger
	mux     *http.ServeMux
}

// New builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Engine == nil {
		return nil, errors.New("httpapi: Config.Engine is required")
	}
	h := &Handler{eng: cfg.Engine, proxies: cfg.TrustedProxies, orders: cfg.Orders, maxBody: cfg.MaxCallbackBytes, log: cfg.Logger}
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
		h.log = cfg.Engine.Logger()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/backends", h.listBackends)
	mux.HandleFunc("POST /api/v1/payments", h.auth(h.createPayment))
	mux.HandleFunc("GET /api/v1/payments/{id}", h.auth(h.getPayment))
	mux.HandleFunc("POST /api/v1/payments/{id}/{action}", h.auth(h.paymentAction))
	mux.HandleFunc("POST /callback/{backend}", h.callback)
	mux.HandleFunc("GET /success/{id}", h.returned)
	mux.HandleFunc("GET /failure/{id}", h.returned)
	mux.HandleFunc("GET /pay/{order}", h.paymentForm)
	mux.HandleFunc("POST /pay/{order}", h.startOrder)
	reg := cfg.Engine.Registry()
	for _, name := range reg.Names() {
		b, _ := reg.Get(name)
		if ps, ok := b.Broker.(getpaid.PageServer); ok {
			prefix := "/broker/" + name
			mux.Handle(prefix+"/", http.StripPrefix(prefix, ps.Pages()))
		}
	}
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// PaymentFormPath is the path, relative to the mount point, of an order's
// payment-method form.
func PaymentFormPath(orderID string) string { return "/pay/" + orderID }

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
