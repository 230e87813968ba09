package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// Config configures a Handler. Service is required.
type Config struct {
	// Service is the payment service (an *engine.Engine). Without
	// getpaid.OperationChecker, POST /api/v1/operations/{id}/check answers
	// 501.
	Service getpaid.Service
	// APIKeys are the Bearer keys accepted by the JSON API (every /api/v1
	// route but the backends list), each at least 16 characters: New
	// refuses a shorter one. With none, the JSON API answers 401 to
	// everyone (the backends list stays public).
	APIKeys []string
	// TrustedProxies are the addresses whose forwarding header (see
	// ProxyHeader) is believed. Anyone else's are ignored.
	TrustedProxies []netip.Prefix
	// ProxyHeader names the header the trusted proxies report the client
	// in: "X-Forwarded-For" (the default; the scheme comes from
	// X-Forwarded-Proto) or "Forwarded" (RFC 7239: for= and proto=). The
	// other header is ignored, so a client cannot slip one past a proxy
	// that only sets the other.
	ProxyHeader string
	// RequireHTTPS refuses (403 https_required) JSON API calls that did not
	// come over https, by TLS or as a trusted proxy reports: an API key
	// sent in clear is a key given away.
	RequireHTTPS bool
	// Orders reads the merchant's orders for the payment-method form (library
	// mode). Without it /pay/ answers 404.
	Orders getpaid.OrderSource
	// Limits bounds what anyone may make the handler spend; the zero value
	// takes the defaults.
	Limits Limits
	Logger *slog.Logger
	// OnCallback, if set, gets a report of every callback request (its
	// outcome, or why it was refused) after it was answered: metrics and
	// the operator console count them. It must be quick.
	OnCallback CallbackHook
}

// Handler serves getpaid's HTTP routes. Mount it under any prefix with
// http.StripPrefix.
type Handler struct {
	svc       getpaid.Service
	checker   getpaid.OperationChecker // svc, when it has the capability; else nil
	backfill  getpaid.EventBackfiller  // svc, when it has the capability; else nil
	pauses    getpaid.PauseReporter    // svc, when it has the capability; else nil
	keys      [][]byte
	proxies   []netip.Prefix
	forwarded bool // ProxyHeader is "Forwarded"
	https     bool // RequireHTTPS
	orders    getpaid.OrderSource
	limits    Limits
	bodies    *edge.Limiter
	authFails *edge.Failures // failed API authentications per address
	cbFails   *edge.Failures // refused callbacks per address
	cbBroker  *edge.Failures // refused callbacks per brokers' address: logged, never blocked
	busy      *edge.Gate     // bodies refused because the server is busy
	unavail   *edge.Gate     // requests answered 503: the store (or a broker) is away
	log       *slog.Logger
	mux       *http.ServeMux

	onCallback CallbackHook

	bufs sync.Pool // *[]byte: payment answers being written (writePayment)
}

// isNilValue reports whether v, a non-nil interface, holds a nil pointer,
// func, map, slice, channel or interface.
func isNilValue(v any) bool {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Slice, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// New builds the handler. It refuses a Config without a Service (or with a
// nil one, or a nil Orders, behind an interface), an API key
// shorter than 16 characters, a trusted proxy prefix that is not valid, a
// ProxyHeader it does not know and a
// Limits.CallbackBytes entry that names no enabled backend or is not positive.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("httpapi: Config.Service is required")
	}
	// A typed nil (an engine variable shadowed by :=, an OrderSourceFunc
	// left unset) is not nil to the checks above and below: it would panic
	// here or at the first request, a buyer's.
	if isNilValue(cfg.Service) {
		return nil, fmt.Errorf("httpapi: Config.Service is a nil %T", cfg.Service)
	}
	if cfg.Orders != nil && isNilValue(cfg.Orders) {
		return nil, fmt.Errorf("httpapi: Config.Orders is a nil %T (leave it out for no payment form)", cfg.Orders)
	}
	h := &Handler{svc: cfg.Service, orders: cfg.Orders, https: cfg.RequireHTTPS, log: cfg.Logger, onCallback: cfg.OnCallback}
	for i, p := range cfg.TrustedProxies {
		// Peers are compared unmapped: a proxy given IPv4-mapped (a
		// net.IP through netip.AddrFromSlice) would never match.
		q, err := unmappedProxy(p)
		if err != nil {
			return nil, fmt.Errorf("httpapi: Config.TrustedProxies[%d] %s: %w", i, p, err)
		}
		h.proxies = append(h.proxies, q)
	}
	h.checker, _ = cfg.Service.(getpaid.OperationChecker)
	h.backfill, _ = cfg.Service.(getpaid.EventBackfiller)
	h.pauses, _ = cfg.Service.(getpaid.PauseReporter)
	for _, k := range cfg.APIKeys {
		if len(k) < 16 {
			return nil, fmt.Errorf("httpapi: API keys must be at least 16 characters")
		}
		h.keys = append(h.keys, []byte(k))
	}
	switch strings.ToLower(cfg.ProxyHeader) {
	case "", "x-forwarded-for":
	case "forwarded":
		h.forwarded = true
	default:
		return nil, fmt.Errorf("httpapi: ProxyHeader %q: want X-Forwarded-For or Forwarded", cfg.ProxyHeader)
	}
	if err := h.setLimits(cfg.Limits, h.svc.Registry()); err != nil {
		return nil, err
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
	mux.HandleFunc("POST /api/v1/operations/{id}/check", h.auth(h.checkOperation))
	mux.HandleFunc("GET /api/v1/events", h.auth(h.listEvents))
	mux.HandleFunc("GET /api/v1/events/{id}", h.auth(h.getEvent))
	mux.HandleFunc("GET /api/v1/events/paused", h.auth(h.listPaused))
	mux.HandleFunc("POST /api/v1/events/{id}/replay", h.auth(h.replayEvent))
	mux.HandleFunc("POST /api/v1/events/replay_dead", h.auth(h.replayDead))
	mux.HandleFunc("POST /api/v1/events/retry_waiting", h.auth(h.retryWaiting))
	mux.HandleFunc("POST /api/v1/events/discard", h.auth(h.discard))
	mux.HandleFunc("POST /api/v1/events/backfill", h.auth(h.backfillEvents))
	mux.HandleFunc("POST "+getpaid.CallbackPath+"{backend}", h.callback)
	mux.HandleFunc("GET "+getpaid.SuccessPath+"{id}", h.returned)
	mux.HandleFunc("GET "+getpaid.FailurePath+"{id}", h.returned)
	mux.HandleFunc("GET /pay/{order}", h.paymentForm)
	mux.Handle("POST /pay/{order}", sameSite(http.HandlerFunc(h.startOrder)))
	for _, b := range cfg.Service.Registry().All() {
		if ps, ok := b.Broker.(getpaid.PageServer); ok {
			prefix := getpaid.PagesPath + b.Name
			mux.Handle(prefix+"/", http.StripPrefix(prefix, h.brokerPages(ps.Pages())))
		}
	}
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler. Every answer carries the strict
// security headers (no sniffing, no framing, no caching, a policy that loads
// nothing), and Strict-Transport-Security when the request came over https
// (see Scheme); pages replace the policy with their own.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	edge.SetStrict(w.Header())
	edge.SetHSTS(w.Header(), h.Scheme(r))
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(w, r) // 404 and 405 in the API's JSON shape
		return
	}
	h.mux.ServeHTTP(w, r)
}

// PaymentFormPath is the path, relative to the mount point, of an order's
// payment-method form, the order id escaped as one path segment (an id
// with spaces, '/', '?' or '#' is still one order).
func PaymentFormPath(orderID string) string {
	seg := url.PathEscape(orderID)
	if seg == "." || seg == ".." {
		seg = strings.ReplaceAll(seg, ".", "%2E") // not a dot segment a client or mux would remove
	}
	return "/pay/" + seg
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }

// Under serves h under prefix ("/gp" for a base URL https://shop.example/gp),
// written as the base URL's path is, escaped ("/my%20payments"): a request
// below it reaches h without the prefix, anything else is answered 404 in
// the API's error shape.
func Under(prefix string, h http.Handler) http.Handler {
	prefix = trimSlash(prefix)
	// The prefix as sent (escaped) and once unescaped: a request is under
	// it when both its paths are.
	plain, err := url.PathUnescape(prefix)
	if err != nil {
		plain = prefix
	}
	prefix = (&url.URL{Path: plain, RawPath: prefix}).EscapedPath()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clean := edge.CleanPath(r.URL.Path); clean != r.URL.Path {
			// As net/http's mux does at the root, but before the prefix is
			// cut: the mux behind it would redirect outside the prefix.
			edge.SetStrict(w.Header())
			http.Redirect(w, r, (&url.URL{Path: clean, RawQuery: r.URL.RawQuery}).String(), http.StatusTemporaryRedirect)
			return
		}
		sent := r.URL.EscapedPath()
		if sent == prefix {
			// Not stripped to "", which a mux would redirect to "/",
			// outside the prefix.
			edge.SetStrict(w.Header())
			http.Redirect(w, r, prefix+"/", http.StatusMovedPermanently)
			return
		}
		// As sent, not only once unescaped: /gp%2fapi/... is one segment,
		// and /%67p/ is not /gp/ as sent either.
		if !strings.HasPrefix(r.URL.Path, plain+"/") || !strings.HasPrefix(sent, prefix+"/") {
			edge.SetStrict(w.Header())
			writeJSON(w, http.StatusNotFound, map[string]apiError{"error": {Code: "not_found",
				Message: "no such route: getpaid is served under " + prefix + "/"}})
			return
		}
		// Cut from both paths, as http.StripPrefix does, but the
		// unescaped prefix from the unescaped path: StripPrefix cuts the
		// one prefix from both, so an escaped one (/my%20payments) never
		// matched the unescaped path.
		r2 := r.WithContext(context.WithValue(r.Context(), mountKey{}, prefix))
		u := *r.URL
		u.Path = strings.TrimPrefix(r.URL.Path, plain)
		u.RawPath = ""
		if r.URL.RawPath != "" {
			u.RawPath = strings.TrimPrefix(sent, prefix)
		}
		r2.URL = &u
		h.ServeHTTP(&insidePrefix{ResponseWriter: w, prefix: prefix}, r2)
	})
}

// insidePrefix keeps the redirects of the handler served under prefix
// inside it: a mux behind the cut prefix redirects /broker/dummy to
// /broker/dummy/ (a subtree's root without its slash), a path outside the
// prefix. A Location naming a path of this host (one leading slash) that
// is not under the prefix gets it; those getpaid makes itself (mountPath)
// have it already.
type insidePrefix struct {
	http.ResponseWriter
	prefix string
	wrote  bool
}

func (w *insidePrefix) WriteHeader(code int) {
	if !w.wrote && code >= 300 && code < 400 {
		h := w.Header()
		if loc := h.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") &&
			loc != w.prefix && !strings.HasPrefix(loc, w.prefix+"/") && !strings.HasPrefix(loc, w.prefix+"?") {
			h.Set("Location", w.prefix+loc)
		}
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *insidePrefix) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the body
// deadlines of readBody, flushes).
func (w *insidePrefix) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// mountKey is the context key of the path Under serves a request under.
type mountKey struct{}

// mountPath is the path h is mounted under ("/gp"): what a path getpaid
// names in an answer (Location) starts with. It is Under's prefix, else
// what a wrapper such as http.StripPrefix cut off the path the request
// came with ("" when nothing was).
func mountPath(r *http.Request) string {
	if p, ok := r.Context().Value(mountKey{}).(string); ok {
		return p
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return ""
	}
	p, ok := strings.CutSuffix(u.EscapedPath(), r.URL.EscapedPath())
	if !ok || !strings.HasPrefix(p, "/") {
		return ""
	}
	return p
}
