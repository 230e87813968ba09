package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// Limits bounds what anyone may make the handler spend. Callback URLs and
// buyers' pages are public by nature (a broker cannot authenticate before its
// body is read), so their bodies are capped by route, held within one byte
// budget, and read at most BodyReads at a time once larger than 8 KiB; the
// addresses that keep failing API authentication or sending refused callbacks
// are refused for the rest of a window, and logged once per window. Zero
// fields take their defaults.
type Limits struct {
	// CallbackBytes caps the callback body of the named backends, overriding
	// what their broker states (getpaid.CallbackSizer).
	CallbackBytes map[string]int64
	// DefaultCallbackBytes caps the callback body of a backend whose broker
	// states no size (default 64 KiB).
	DefaultCallbackBytes int64
	// FormBytes caps a form posted to a page (the payment form, a broker's
	// pages): default 32 KiB.
	FormBytes int64
	// APIBytes caps a JSON API request body (default 64 KiB).
	APIBytes int64
	// BodyBudget bounds the bytes of all request bodies held in memory at
	// once (default 32 MiB). A body that would go over it is answered 503
	// with Retry-After. GOMEMLIMIT does not replace it: a memory limit makes
	// the collector work harder, it does not refuse the requests.
	BodyBudget int64
	// AddressBudget bounds the bytes of the bodies one client address (an
	// IPv6 /64; behind proxies, as TrustedProxies resolve it) holds at once,
	// within BodyBudget (default an eighth of BodyBudget), so slow senders
	// of small bodies, which need no read slot, cannot take the whole
	// budget from one address; beyond it, 503 with Retry-After. JSON API
	// bodies, whose clients are authenticated first, do not count in it,
	// nor do a loopback address's (a proxy on the same machine that
	// TrustedProxies leave out: every client behind it).
	AddressBudget int64
	// BodyReads bounds how many bodies larger than 8 KiB are read at once
	// (default 64); beyond it: 503 with Retry-After. Smaller bodies, which
	// most notifications and forms are, need no slot.
	BodyReads int
	// BodyTimeout bounds the time a callback's or a form's body may take to
	// arrive (default 10 s); a slower one is answered 408. Behind a
	// middleware whose ResponseWriter does not reach the connection (no
	// Unwrap() http.ResponseWriter method, as http.ResponseController
	// needs; http.TimeoutHandler's) the read cannot be given a deadline:
	// on a server with a ReadTimeout the body is then read within that
	// (408 when it passes, the connection closed); on one without, the
	// read is abandoned after BodyTimeout and the 408 says "Connection:
	// close", the connection left to the sender (net/http waits for the
	// rest of the body with no deadline). Give such a writer an Unwrap
	// method and the connection is cut at once.
	BodyTimeout time.Duration
	// AuthFailures is how many failed API authentications an address (IPv6:
	// a /64) may make per Window before its API calls are answered 429
	// until the window ends (default 20).
	AuthFailures int
	// CallbackRefusals is how many callbacks from an address may be refused
	// (bad signature, source not allowed, malformed, unknown backend) per
	// Window before its callbacks are answered 429 until the window ends
	// (default 60). An address an enabled backend's broker sends its
	// notifications from (getpaid.NotificationSourcer) is never refused
	// so: anyone with an account at the broker can have its servers send
	// refused callbacks here.
	CallbackRefusals int
	// Window is the length of the windows of AuthFailures and
	// CallbackRefusals, and of the logging of refusals (default 1 minute).
	Window time.Duration
	// Now is the clock of the windows (default time.Now).
	Now func() time.Time
}

// Defaults of Limits.
const (
	DefaultCallbackBytes = 64 << 10
	DefaultFormBytes     = 32 << 10
	DefaultAPIBytes      = 64 << 10
	DefaultBodyTimeout   = 10 * time.Second
)

// CheckLimits reports whether New would take l for a service whose backends
// reg holds: every limit it refuses (a callback limit for a backend not
// enabled, a body budget too small for the largest body a route takes, an
// address budget larger than the whole budget) is refused here alike, with
// New's error, so a program can refuse its configuration before it opens
// anything.
func CheckLimits(l Limits, reg *getpaid.Registry) error {
	return (&Handler{}).setLimits(l, reg)
}

// setLimits checks l against the backends reg holds and keeps it, with
// the defaults filled in, and the limiters it asks for.
func (h *Handler) setLimits(l Limits, reg *getpaid.Registry) error {
	for name, n := range l.CallbackBytes {
		if _, ok := reg.Get(name); !ok {
			return fmt.Errorf("httpapi: Limits.CallbackBytes names backend %q, which is not enabled", name)
		}
		if n <= 0 {
			return fmt.Errorf("httpapi: Limits.CallbackBytes[%q] must be positive", name)
		}
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.DefaultCallbackBytes, DefaultCallbackBytes)
	def(&l.FormBytes, DefaultFormBytes)
	def(&l.APIBytes, DefaultAPIBytes)
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = DefaultBodyTimeout
	}
	if l.AuthFailures <= 0 {
		l.AuthFailures = 20
	}
	if l.CallbackRefusals <= 0 {
		l.CallbackRefusals = 60
	}
	h.limits = l // callbackCap reads it
	if err := h.budgetsHold(&l, reg); err != nil {
		return err
	}
	h.limits = l
	h.bodies = edge.NewLimiter(edge.LimiterConfig{Budget: l.BodyBudget, Slots: l.BodyReads, PerAddress: l.AddressBudget})
	h.authFails = edge.NewFailures(edge.FailuresConfig{Limit: l.AuthFailures, Window: l.Window, Now: l.Now})
	h.cbFails = edge.NewFailures(edge.FailuresConfig{Limit: l.CallbackRefusals, Window: l.Window, Now: l.Now})
	h.cbBroker = edge.NewFailures(edge.FailuresConfig{Limit: math.MaxInt, Window: l.Window, Now: l.Now})
	h.busy = edge.NewGate(l.Window, l.Now)
	h.unavail = edge.NewGate(l.Window, l.Now)
	return nil
}

// budgetsHold checks that the body budget, and one address's share of it,
// each hold the largest body a route takes: a smaller one would answer that
// body busy (503, Retry-After) every time it is sent. A share left to its
// default (an eighth of the budget) is raised to hold one such body.
func (h *Handler) budgetsHold(l *Limits, reg *getpaid.Registry) error {
	budget := l.BodyBudget
	if budget <= 0 {
		budget = edge.DefaultBudget
	}
	largest, what := l.APIBytes, "a JSON API body (APIBytes)"
	if l.FormBytes > largest {
		largest, what = l.FormBytes, "a form body (FormBytes)"
	}
	shared, sharedWhat := l.FormBytes, "a form body (FormBytes)" // API bodies have no share
	for _, b := range reg.All() {
		n := h.callbackCap(b)
		if n > largest {
			largest, what = n, fmt.Sprintf("a %s callback body", b.Name)
		}
		if n > shared {
			shared, sharedWhat = n, fmt.Sprintf("a %s callback body", b.Name)
		}
	}
	if budget < largest {
		return fmt.Errorf("httpapi: the body budget (BodyBudget, %d bytes) is smaller than %s may be (%d): such a body would be answered busy every time", budget, what, largest)
	}
	switch {
	case l.AddressBudget > budget:
		return fmt.Errorf("httpapi: the address budget (AddressBudget, %d bytes) is larger than the body budget it is a share of (%d)", l.AddressBudget, budget)
	case l.AddressBudget > 0 && l.AddressBudget < shared:
		return fmt.Errorf("httpapi: the address budget (AddressBudget, %d bytes) is smaller than %s may be (%d): such a body would be answered busy every time", l.AddressBudget, sharedWhat, shared)
	case l.AddressBudget <= 0:
		l.AddressBudget = min(max(budget/8, shared), budget)
	}
	return nil
}

// callbackCap is the largest callback body accepted for backend b.
func (h *Handler) callbackCap(b getpaid.Backend) int64 {
	if n, ok := h.limits.CallbackBytes[b.Name]; ok {
		return n
	}
	if s, ok := b.Broker.(getpaid.CallbackSizer); ok && s.MaxCallbackBytes() > 0 {
		return s.MaxCallbackBytes()
	}
	return h.limits.DefaultCallbackBytes
}

// readBody reads r's body through the limiter, at most max bytes, within
// BodyTimeout, in the share of the budget of r's client address (ClientIP):
// slow senders of small bodies from one address cannot hold the whole
// budget. Its errors are the ones errors.go maps (413, 503, 408, 400);
// on any of them the rest of the body is dropped (see dropBody).
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, max int64) (*edge.Body, error) {
	return h.readBodyOf(w, r, max, true)
}

// readIn reads r's body into the budget, in the share of its client
// address when perAddress.
func (h *Handler) readIn(r *http.Request, max int64, perAddress bool) (*edge.Body, error) {
	if perAddress {
		return h.bodies.ReadFrom(h.ClientIP(r), r.Body, r.ContentLength, max)
	}
	return h.bodies.Read(r.Body, r.ContentLength, max)
}

// readBodyOf is readBody; perAddress false reads the body within the
// budget alone (an API client, authenticated before its body is read).
func (h *Handler) readBodyOf(w http.ResponseWriter, r *http.Request, max int64, perAddress bool) (*edge.Body, error) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(h.limits.BodyTimeout)) == nil
	var b *edge.Body
	var err error
	if deadline || serverBounded(r) {
		b, err = h.readIn(r, max, perAddress) // no closure: this is every request's path
	} else {
		b, err = within(h.limits.BodyTimeout, func() (*edge.Body, error) { return h.readIn(r, max, perAddress) }, (*edge.Body).Release)
	}
	if err == nil {
		// The whole body is in: lift the deadline, or the server's watch
		// for the client hanging up would cancel a slow handler.
		if deadline {
			_ = rc.SetReadDeadline(time.Time{})
		}
		return b, nil
	}
	if errors.Is(err, errBodyTimeout) {
		abandoned(w)
		return nil, err
	}
	dropBody(w, r)
	switch {
	case errors.Is(err, edge.ErrTooLarge):
		return nil, &tooLargeError{max: max}
	case errors.Is(err, edge.ErrBusy):
		return nil, &retryError{err: errBusy, after: time.Second}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return nil, errBodyTimeout
	default:
		return nil, fmt.Errorf("%w: reading body: %v", getpaid.ErrInvalidRequest, err)
	}
}

// bodyEmpty reports whether r has no body, also when its length was not
// given (sent chunked, as some clients send even nothing): a route whose
// body is optional (an action of the whole amount, a check) treats an
// empty chunked body as the absent one it is, not as JSON missing. It
// reads at most one byte of a chunked body, within Limits.BodyTimeout as
// every body is read (errBodyTimeout when it does not come; the rest is
// then dropped), and leaves r.Body as it came.
func (h *Handler) bodyEmpty(w http.ResponseWriter, r *http.Request) (bool, error) {
	if r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody {
		return r.ContentLength <= 0, nil
	}
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(h.limits.BodyTimeout)) == nil
	var one [1]byte
	readOne := func() (int, error) { return io.ReadFull(r.Body, one[:]) }
	var n int
	var err error
	if deadline || serverBounded(r) {
		n, err = readOne()
	} else {
		n, err = within(h.limits.BodyTimeout, readOne, func(int) {})
	}
	switch {
	case n == 0 && err == io.EOF:
		if deadline {
			_ = rc.SetReadDeadline(time.Time{}) // as readBodyOf, once the body is in
		}
		r.ContentLength = 0
		return true, nil
	case errors.Is(err, errBodyTimeout):
		abandoned(w)
		return false, err
	case n == 0:
		dropBody(w, r)
		if isTimeout(err) {
			return false, errBodyTimeout
		}
		return false, fmt.Errorf("%w: reading body: %v", getpaid.ErrInvalidRequest, err)
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(one[:n]), r.Body), r.Body}
	return false, nil
}

// dropBody gives up on the unread rest of r's body before a refusal is
// answered: the connection is closed after the answer, instead of the
// server reading up to 256 KiB more of it (at the sender's pace) to keep
// the connection open.
func dropBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	_ = r.Body.Close()
}

// serverBounded reports whether r's server bounds the reading of its
// request (http.Server.ReadTimeout): a body read whose own deadline cannot
// be set ends by itself there, and is not abandoned to within. An
// abandoned read is cut by net/http as the handler returns, which lifts
// the connection's deadline, ReadTimeout's included: the server would then
// wait for the rest of the body with none, for as long as the sender
// keeps the connection open.
func serverBounded(r *http.Request) bool {
	s, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	return s != nil && s.ReadTimeout > 0
}

// within runs read within d, for a body whose read deadline cannot be set
// (the ResponseWriter does not reach the connection: a middleware's writer
// without an Unwrap method, http.TimeoutHandler's) on a server without a
// ReadTimeout: read runs in a goroutine of its own, and when d passes
// first it is abandoned, answered errBodyTimeout, and what it reads in the
// end is given to release. The connection is not closed (nothing here
// reaches it): the sender ends it.
func within[T any](d time.Duration, read func() (T, error), release func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-t.C:
		go func() {
			if r := <-done; r.err == nil {
				release(r.v)
			}
		}()
		var zero T
		return zero, errBodyTimeout
	}
}

// abandoned prepares the answer to a request whose body read within
// abandoned: "Connection: close", or net/http, to keep the connection,
// would wait for that read (it takes the body's lock to look at what is
// left of it) before sending the answer. The body is not closed here for
// the same reason.
func abandoned(w http.ResponseWriter) { w.Header().Set("Connection", "close") }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// readForm reads a posted form through the limiter and parses it; the body
// is released before it returns (the parsed values are copies).
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request) error {
	b, err := h.readBody(w, r, h.limits.FormBytes)
	if err != nil {
		return err
	}
	defer b.Release()
	r.Body = io.NopCloser(bytes.NewReader(b.Bytes))
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: form: %v", getpaid.ErrInvalidRequest, err)
	}
	return nil
}

// brokerPages serves a broker's own pages (the dummy paywall) with the
// headers of a page without scripts, a posted body read through the limiter
// first (so the broker parses it from memory).
func (h *Handler) brokerPages(next http.Handler) http.Handler {
	forms := h.ReadForms(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edge.SetPage(w.Header(), edge.PageCSP)
		forms.ServeHTTP(w, r)
	})
}

// ReadForms serves next with a POST, PUT or PATCH body read first through
// the handler's Limits, as the forms of its own pages are: at most
// FormBytes, within the body budget and read slots, arriving within
// BodyTimeout. A body over the cap is answered 413 (before it is read when
// its length is declared), a slow one 408, one the server is too busy for
// 503 with Retry-After, in plain text with the strict headers (SetStrict)
// and before next runs; next reads the
// body from memory. Mount other public forms behind it (getpaid serve
// mounts the operator console, whose sign-in form anyone can post to), so
// their bodies count in the same budget.
func (h *Handler) ReadForms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			b, err := h.readBody(w, r, h.limits.FormBytes)
			if err != nil {
				// next, which would have set its own headers, does not run.
				edge.SetStrict(w.Header())
				h.textError(w, r, err)
				return
			}
			defer b.Release()
			r.Body = io.NopCloser(bytes.NewReader(b.Bytes))
			r.ContentLength = int64(len(b.Bytes))
		}
		next.ServeHTTP(w, r)
	})
}

// refusal records a refused API authentication or callback from ip in f
// and logs it when the window's accounting says so.
func (h *Handler) refusal(ctx context.Context, f *edge.Failures, what, ip string, attrs ...any) {
	s := f.Fail(ip)
	switch {
	case s.Over && s.Log:
		h.log.WarnContext(ctx, what+": address refused until the window ends", append(attrs, "ip", ip, "refusals", s.Count, "for", s.Until.Round(time.Second))...)
	case s.Log:
		h.log.WarnContext(ctx, what, append(attrs, "ip", ip, "note", "further ones from this address are counted, not logged, until the window ends")...)
	}
	if s.Muted {
		h.log.WarnContext(ctx, what+": more this window from other addresses are not logged")
	}
}

// limited answers 429 when ip is refused in f until its window ends.
func (h *Handler) limited(w http.ResponseWriter, r *http.Request, f *edge.Failures, ip string) bool {
	if blocked, until := f.Blocked(ip); blocked {
		dropBody(w, r)
		h.writeError(w, r, &retryError{err: errRateLimited, after: until}, "")
		return true
	}
	return false
}

// tooLargeError is a body over its cap, which it names: "request body too
// large" alone told neither the client nor an operator reading a broker's
// delivery log which limit to stay under (or raise in limits:).
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%v: at most %d bytes", errBodyTooLarge, e.max)
}
func (e *tooLargeError) Unwrap() error { return errBodyTooLarge }
