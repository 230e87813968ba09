package admin

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Totaler is what the console needs, beyond getpaid.Service, to show totals
// by status above a listing (the engine has it). Without it the totals are
// not shown.
type Totaler interface {
	PaymentTotals(ctx context.Context, f getpaid.PaymentFilter) ([]getpaid.PaymentTotal, error)
}

// Config configures a Console. Service and at least one user are required.
type Config struct {
	Service getpaid.Service
	// Users may sign in. With none, New fails with ErrNoUsers: the console
	// is off.
	Users []User
	// Prefix is the path the console is mounted under ("/admin"), without
	// the trailing slash: its links and cookies carry it. A plain path
	// from the root (no //, . or .. segments, nothing to escape), or New
	// refuses it.
	Prefix string
	// Secure reports whether a request came over https (its session
	// cookie is then marked Secure). Nil means r.TLS != nil; behind a
	// TLS-terminating proxy, pass a function that trusts the proxy's
	// X-Forwarded-Proto (httpapi.Handler.Scheme does).
	Secure func(*http.Request) bool
	// RequireHTTPS refuses (403) every console request that did not come
	// over https as Secure tells: a password or a session cookie sent in
	// clear is never looked at.
	RequireHTTPS bool
	// ClientIP is the address a request came from, for the audit log and
	// login throttling. Nil, or an answer of "", means the connection's
	// peer; behind proxies pass httpapi.Handler.ClientIP.
	ClientIP func(*http.Request) string
	// Callbacks, if set, are the recent callback outcomes shown on the
	// backends page (fed by the HTTP layer's callback hook).
	Callbacks *CallbackLog
	// Env, if set, gives a backend's environment, for the panel settings
	// of brokers that have them (getpaid.Configurator).
	Env func(backend string) getpaid.Env
	// Audit gets one line per sign-in, sign-out and action; nil means
	// Logger.
	Audit  *slog.Logger
	Logger *slog.Logger
	// SessionTTL is how long a session lasts; 0 means 12 h.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrNoUsers is New's answer when no user is configured: the console is off.
var ErrNoUsers = errors.New("admin: no console users configured")

// Console is the operator console's http.Handler.
type Console struct {
	svc          getpaid.Service
	totals       Totaler
	checker      getpaid.OperationChecker        // svc, when it can check operations; else nil
	pauses       getpaid.PauseReporter           // svc, when it can say which consumers it pauses; else nil
	seconds      getpaid.SecondTransactionLister // svc, when it can list a payment's second transactions; else nil
	users        map[string][]byte
	dummyHash    []byte              // of the users' highest cost, compared for an unknown name
	padding      map[string][][]byte // a user's dummies of the costs from hers up to the highest (see padHashes)
	prefix       string
	secureFn     func(*http.Request) bool
	requireHTTPS bool
	ipFn         func(*http.Request) string
	callbacks    *CallbackLog
	env          func(string) getpaid.Env
	auditLog     *slog.Logger
	log          *slog.Logger
	now          func() time.Time
	sessions     *sessions
	limit        *limiter
	checks       chan struct{}                     // a slot per password comparison running (checkPassword)
	compare      func(hash, password []byte) error // bcrypt.CompareHashAndPassword
	pages        map[string]*template.Template
	mux          *http.ServeMux
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Service == nil {
		return nil, errors.New("admin: Config.Service is required")
	}
	if v := reflect.ValueOf(cfg.Service); v.Kind() == reflect.Pointer && v.IsNil() {
		// A nil *engine.Engine (a variable shadowed by :=) passes the
		// check above and would panic at the first request.
		return nil, fmt.Errorf("admin: Config.Service is a nil %T", cfg.Service)
	}
	if len(cfg.Users) == 0 {
		return nil, ErrNoUsers
	}
	if err := checkPrefix(strings.TrimRight(cfg.Prefix, "/")); err != nil {
		return nil, err
	}
	c := &Console{
		svc: cfg.Service, users: map[string][]byte{}, prefix: strings.TrimRight(cfg.Prefix, "/"),
		secureFn: cfg.Secure, requireHTTPS: cfg.RequireHTTPS, ipFn: cfg.ClientIP, callbacks: cfg.Callbacks, env: cfg.Env,
		auditLog: cfg.Audit, log: cfg.Logger, now: cfg.Now,
		sessions: &sessions{m: map[[32]byte]*session{}, ttl: cfg.SessionTTL},
		limit:    &limiter{m: map[string]*failures{}},
		checks:   make(chan struct{}, passwordChecks), compare: bcrypt.CompareHashAndPassword,
	}
	if t, ok := cfg.Service.(Totaler); ok {
		c.totals = t
	}
	c.checker, _ = cfg.Service.(getpaid.OperationChecker)
	c.pauses, _ = cfg.Service.(getpaid.PauseReporter)
	c.seconds, _ = cfg.Service.(getpaid.SecondTransactionLister)
	cost := bcrypt.MinCost
	costs := map[string]int{}
	for _, u := range cfg.Users {
		if u.Name == "" {
			return nil, errors.New("admin: a user needs a name")
		}
		if _, dup := c.users[u.Name]; dup {
			return nil, fmt.Errorf("admin: user %q listed twice", u.Name)
		}
		uc, err := CheckHash(u.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("admin: user %q: password_hash is not a bcrypt hash (make one with getpaid admin passwd): %w", u.Name, err)
		}
		if uc > MaxHashCost {
			return nil, fmt.Errorf("admin: user %q: password_hash of bcrypt cost %d: want at most %d (HashPassword and getpaid admin passwd make %d): each step doubles the work of building the console and of every sign-in",
				u.Name, uc, MaxHashCost, HashCost)
		}
		cost = max(cost, uc)
		c.users[u.Name] = []byte(u.PasswordHash)
		costs[u.Name] = uc
	}
	var err error
	if c.dummyHash, c.padding, err = padHashes(costs, cost); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.auditLog == nil {
		c.auditLog = c.log
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sessions.ttl <= 0 {
		c.sessions.ttl = 12 * time.Hour
	}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	files := http.StripPrefix("/static", http.FileServerFS(static))
	// The folder itself, as its contents' listing, is not found: left to
	// the mux, it would be redirected to "/static/" without the prefix.
	mux.HandleFunc("GET /static", http.NotFound)
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // a folder: no listing of what is there
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /login", c.loginForm)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.authed(c.logout))
	mux.HandleFunc("GET /{$}", c.authed(c.listPayments))
	mux.HandleFunc("GET /payments/{id}", c.authed(c.showPayment))
	mux.HandleFunc("POST /payments/{id}/confirm", c.authed(c.confirmAction))
	mux.HandleFunc("POST /payments/{id}/do", c.authed(c.doAction))
	mux.HandleFunc("POST /payments/{id}/replay", c.authed(c.replayDelivery))
	mux.HandleFunc("GET /attention", c.authed(c.showAttention))
	mux.HandleFunc("POST /attention/send_now", c.authed(c.sendNow))
	mux.HandleFunc("GET /backends", c.authed(c.showBackends))
	c.mux = mux
	return c, nil
}

// ServeHTTP implements http.Handler. Every answer carries headers that keep
// the pages out of frames and caches and allow only the console's own
// stylesheet.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if c.requireHTTPS && !c.secure(r) {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "The getpaid console is served over https only: open it with https://.\n")
		return
	}
	if p := edge.CleanPath(r.URL.EscapedPath()); p != r.URL.EscapedPath() && r.Method != http.MethodConnect {
		// The mux would redirect to the clean path without the prefix
		// (a router that leaves paths as sent hands "/admin" over as "").
		if r.URL.RawQuery != "" {
			p += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, c.prefix+p, http.StatusTemporaryRedirect)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// checkPrefix refuses a Prefix (its trailing slash trimmed) that is no
// plain path from the root: the console writes it into its links, forms
// and cookies as it is, so "admin" would make them relative (the sign-in
// form posting to /admin/admin/login) and "//admin" a link to the host
// "admin".
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	bad := prefix[0] != '/'
	for _, s := range strings.Split(prefix[1:], "/") {
		bad = bad || s == "" || s == "." || s == ".." || url.PathEscape(s) != s
	}
	if bad {
		return fmt.Errorf("admin: Config.Prefix %q: want a plain path from the root, such as /admin (no //, . or .. segments, query, fragment or characters to escape)", prefix)
	}
	return nil
}

func (c *Console) secure(r *http.Request) bool {
	if c.secureFn != nil {
		return c.secureFn(r)
	}
	return r.TLS != nil
}

// clientIP is the request's client address: ClientIP's, or the peer's
// when there is no ClientIP or it finds none ("": throttled and audited
// as one client, every operator would be held back by one's mistakes).
func (c *Console) clientIP(r *http.Request) string {
	if c.ipFn != nil {
		if ip := c.ipFn(r); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// maxAuditName bounds the user name an audit line shows: a sign-in form
// may post a name of any length, and the log must not grow by it.
const maxAuditName = 128

// audit writes one audit line: who did what, from where, and how it went.
func (c *Console) audit(r *http.Request, user, action, result string, kv ...any) {
	if len(user) > maxAuditName {
		user = strings.ToValidUTF8(user[:maxAuditName], "") + "…"
	}
	args := append([]any{"user", user, "action", action, "result", result, "ip", c.clientIP(r), "at", c.now().UTC().Format(time.RFC3339Nano)}, kv...)
	c.auditLog.InfoContext(r.Context(), "admin audit", args...)
}

// basePage is what every page's layout needs.
type basePage struct {
	Title  string
	Prefix string
	User   string
	CSRF   string
	Nav    string
}

func (b *basePage) base() *basePage { return b }

type page interface{ base() *basePage }

type messagePage struct {
	basePage
	Message string
}

// render executes page name into the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, data page) {
	data.base().Prefix = c.prefix
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		c.log.ErrorContext(r.Context(), "admin: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page for a failed read (not found, store down).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; the details are in the server's log."
	switch {
	case errors.Is(err, getpaid.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	case errors.Is(err, getpaid.ErrInvalidRequest):
		status, msg = http.StatusBadRequest, reason(err)
	case errors.Is(err, getpaid.ErrUnavailable):
		status, msg = http.StatusServiceUnavailable, "The database cannot be reached right now; try again in a moment."
	case errors.Is(err, errCannotCheck):
		status, msg = http.StatusNotImplemented, "This console cannot check operations with their brokers: its service has no CheckOperation. "+
			"The reconciler still checks them on its own schedule; or resolve the operation on its payment's page after looking at the broker's panel."
	default:
		c.log.ErrorContext(r.Context(), "admin: page failed", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, status, "message", &messagePage{basePage: c.pageBase(s, "Error", ""), Message: msg})
}

func (c *Console) pageBase(s *session, title, nav string) basePage {
	return basePage{Title: title, User: s.user, CSRF: s.csrf, Nav: nav}
}

// reason is what an operator is told about a refused request: the field
// and its reason, the refused transition, the operation's state and the
// broker's word (or, for an operation settled since the page was shown,
// that it is), or the error's first sentence for the rest.
func reason(err error) string {
	var (
		fe *getpaid.FieldError
		te *getpaid.TransitionError
		oe *getpaid.OperationError
		be *getpaid.BrokerError
		me *getpaid.MoneyError
	)
	switch {
	case errors.As(err, &oe) && errors.Is(err, getpaid.ErrConflict):
		// A check or a decision about an operation that moved on since
		// the page was shown: its last error is not why.
		switch {
		case oe.Op.State == getpaid.OpSubmitting:
			return runningReason(oe.Op)
		case !oe.Op.State.Final() || oe.Op.Flagged:
			// Still in doubt, refused for a reason of its own (a refund
			// a notification may have counted already, a payment that
			// changed meanwhile), or settled and flagged, resolved as
			// another state: the engine's reason says what to do.
			return fmt.Sprintf("The %s was not resolved: %s", oe.Op.Kind, oe.Reason())
		}
		return settledReason(oe.Op)
	case errors.As(err, &oe):
		msg := fmt.Sprintf("The %s is %s", oe.Op.Kind, oe.Op.State)
		if oe.Op.Error != "" {
			msg += ": " + oe.Op.Error
		}
		switch {
		case errors.Is(err, getpaid.ErrOperationInDoubt):
			msg += ". The broker's answer was lost; it is being reconciled (or resolve it on the payment's page)."
		case errors.Is(err, getpaid.ErrOperationFailed):
			msg += ". The broker refused it."
		case errors.Is(err, getpaid.ErrOperationInProgress):
			msg += ": this form was sent before and the broker has not answered yet; its outcome will show on the payment's page."
		}
		return msg
	case errors.As(err, &fe):
		return fe.Field + ": " + fe.Reason
	case errors.As(err, &te):
		return "Not possible now: " + te.Error()
	case errors.As(err, &me):
		return me.Error()
	case errors.Is(err, getpaid.ErrNotSupported):
		return "This backend does not support that action."
	case errors.Is(err, getpaid.ErrUnavailable):
		return "The database cannot be reached right now; nothing was done. Try again in a moment."
	case errors.As(err, &be):
		if be.Retryable {
			return "The broker could not be reached or failed (" + be.Op + "); try again later."
		}
		return "The broker refused the request: " + be.Error()
	}
	for _, s := range []error{getpaid.ErrInvalidAmount, getpaid.ErrAmountMismatch, getpaid.ErrConflict, getpaid.ErrForbiddenTransition,
		getpaid.ErrNotFound, getpaid.ErrInvalidRequest, getpaid.ErrOperationInProgress} {
		if errors.Is(err, s) {
			msg := s.Error()
			if s == getpaid.ErrInvalidAmount || s == getpaid.ErrAmountMismatch || s == getpaid.ErrOperationInProgress {
				// The engine's words after these are for the operator
				// ("the advance 12.00 PLN is more than the payment's").
				if _, detail, ok := strings.Cut(err.Error(), msg+": "); ok {
					msg += ": " + detail
				}
			}
			return strings.ToUpper(msg[:1]) + msg[1:] + "."
		}
	}
	return "The request failed; the details are in the server's log."
}
