package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Payload is the JSON body of every webhook: a stable, public contract.
// Amounts are decimal strings in the currency's minor digits.
type Payload struct {
	Type      getpaid.EventType `json:"type"`      // payment.created, payment.status_changed, payment.amounts_changed
	Timestamp time.Time         `json:"timestamp"` // when the event happened
	Data      PayloadData       `json:"data"`
}

// PayloadData describes the payment the event is about.
type PayloadData struct {
	EventID   string `json:"event_id"` // the same as the webhook-id header
	PaymentID string `json:"payment_id"`
	// Version is the version of the payment this event's change made: 1
	// for payment.created, higher for each later change but not always by
	// one (getpaid.Event.PaymentVersion). Apply an event only when its
	// version is above the last you applied for the payment: a repeat, or
	// a replay of an older event, then changes nothing.
	Version  int64          `json:"version"`
	OrderID  string         `json:"order_id"`
	Backend  string         `json:"backend"`
	From     getpaid.Status `json:"from,omitempty"` // absent on payment.created
	To       getpaid.Status `json:"to"`
	Amount   string         `json:"amount"`   // the payment's amount
	Captured string         `json:"captured"` // captured so far
	Refunded string         `json:"refunded"` // refunded so far
	Currency string         `json:"currency"`
	Cause    string         `json:"cause,omitempty"` // why the status changed ("expired"); absent on payment.created
}

// NewPayload is the webhook body of ev.
func NewPayload(ev getpaid.Event) Payload {
	return Payload{Type: ev.Type, Timestamp: ev.At.UTC(), Data: PayloadData{
		EventID: ev.ID, PaymentID: ev.PaymentID, Version: ev.PaymentVersion(), OrderID: ev.OrderID, Backend: ev.Backend, From: ev.From, To: ev.To,
		Amount: ev.Amount.Decimal(), Captured: ev.Captured.Decimal(), Refunded: refunded(ev).Decimal(),
		Currency: ev.Amount.Currency, Cause: ev.Cause,
	}}
}

// refunded is ev's refunded amount, in its currency even when zero.
func refunded(ev getpaid.Event) getpaid.Money {
	return getpaid.Money{Minor: ev.Refunded.Minor, Currency: ev.Amount.Currency}
}

// Config is one merchant endpoint.
type Config struct {
	URL string
	// Secrets sign every request; during a rotation give the new and the
	// old one: both signatures are sent.
	Secrets []string
	// Events are the event types sent; empty means all.
	Events []getpaid.EventType
	// Client sends the requests; nil means one with a 10 s timeout over
	// NewTransport, as does its Transport nil (not Go's shared default
	// transport). It never follows redirects.
	Client *http.Client
	// Now is the clock for webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// Endpoint delivers events to one merchant URL. It is a consumer for the
// engine (Name, Deliver, EventTypes).
type Endpoint struct {
	url    string
	keys   []*signer
	events []getpaid.EventType
	client *http.Client
	// timeout, when set, bounds each delivery as the default client's
	// Timeout would (Config.Client nil): as a deadline of its context, which
	// costs no timer when the caller's deadline comes sooner (the engine's
	// attempt), where a client's Timeout costs one of its own per request.
	timeout time.Duration
	now     func() time.Time
	// own says the transport is the endpoint's (NewTransport, made by
	// New): CloseIdleConnections closes its connections. A transport the
	// caller gave (perhaps shared) is left alone.
	own bool
}

// clientTimeout bounds a delivery over the default client.
const clientTimeout = 10 * time.Second

// MaxURLLength is the longest endpoint URL New takes, in bytes: the URL is
// the endpoint's consumer name, stored and indexed with every delivery, and
// PostgreSQL's indexes take entries of at most about 2.7 kB.
const MaxURLLength = 2000

// New validates cfg and returns the endpoint.
func New(cfg Config) (*Endpoint, error) {
	if i := strings.IndexFunc(cfg.URL, unicode.IsSpace); i >= 0 {
		// Go's parser takes a blank at the end of a path, and sends it
		// as %20: every delivery would go to a path the endpoint has not.
		return nil, fmt.Errorf("webhook: url %q: a blank at byte %d (pasted with a space or a newline?); a URL has none: write a space in a path as %%20", getpaid.ShownURL(cfg.URL), i)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// A port alone (http://:8080/hook) is no host: Go's client would
		// send every delivery to this machine.
		return nil, fmt.Errorf("webhook: url %q: want an absolute http(s) URL with a host", getpaid.ShownURL(cfg.URL))
	}
	if len(cfg.URL) > MaxURLLength {
		return nil, fmt.Errorf("webhook: url %.60q…: %d bytes; at most %d (it is stored and indexed with every delivery)", getpaid.ShownURL(cfg.URL), len(cfg.URL), MaxURLLength)
	}
	if u.User != nil {
		// The URL names the endpoint everywhere: in every delivery stored,
		// the console, the tools and the logs. The signature is what
		// authenticates getpaid to the endpoint.
		u.User = nil
		return nil, fmt.Errorf("webhook: url %s: credentials in a webhook URL would be stored and shown with every delivery; check the webhook-signature instead", getpaid.ShownURL(u.String()))
	}
	if strings.Contains(cfg.URL, "#") {
		// Never sent: the endpoint would be a second name of the URL
		// without it, and get every event twice.
		return nil, fmt.Errorf("webhook: url %q: a fragment (#...) is never sent; leave it out", getpaid.ShownURL(cfg.URL))
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		// Go's URL parser takes any digits; every delivery would fail.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("webhook: url %q: the port %q: want 1 to 65535 (or none, for the scheme's own)", getpaid.ShownURL(cfg.URL), p)
		}
	}
	if len(cfg.Secrets) == 0 || len(cfg.Secrets) > 2 {
		return nil, fmt.Errorf("webhook %s: want one secret (two while rotating)", getpaid.ShownURL(cfg.URL))
	}
	e := &Endpoint{url: cfg.URL, events: slices.Clone(cfg.Events), now: cfg.Now}
	for _, s := range cfg.Secrets {
		k, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", getpaid.ShownURL(cfg.URL), err)
		}
		e.keys = append(e.keys, newSigner(k))
	}
	for i, t := range cfg.Events {
		if !slices.Contains(getpaid.EventTypes(), t) {
			return nil, fmt.Errorf("webhook %s: unknown event type %q (want %s, %s or %s)", getpaid.ShownURL(cfg.URL), t,
				getpaid.EventPaymentCreated, getpaid.EventStatusChanged, getpaid.EventAmountsChanged)
		}
		if slices.Contains(cfg.Events[:i], t) {
			return nil, fmt.Errorf("webhook %s: event type %q named twice in events", getpaid.ShownURL(cfg.URL), t)
		}
	}
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	} else {
		e.timeout = clientTimeout
	}
	if c.Transport == nil {
		c.Transport = NewTransport()
		e.own = true
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e.client = &c
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// NewTransport returns an HTTP transport for webhook deliveries: Go's
// default one, keeping enough idle connections per endpoint for the
// deliveries the engine runs at once (engine.DefaultDeliveriesInFlight, 64,
// per consumer). The default keeps 2, so under a stream of events most
// deliveries would open, and close, a connection of their own.
func NewTransport() *http.Transport {
	t := brokerhttp.NewTransport() // the default's settings, even when the application replaced it
	t.MaxIdleConnsPerHost = 64
	// An endpoint's answer is a status and nothing getpaid reads: its
	// headers need not be held up to Go's 10 MB, 64 deliveries at once.
	t.MaxResponseHeaderBytes = maxAnswerHeader
	// Nor is its body read, but to keep the connection: no
	// "Accept-Encoding: gzip" is sent, and no answer is unzipped.
	t.DisableCompression = true
	return t
}

// maxAnswerHeader bounds an endpoint's status line and headers (NewTransport).
const maxAnswerHeader = 64 << 10

// maxAnswerText bounds what of an endpoint's own words (its status line's
// reason phrase, a transport error quoting its malformed answer) an
// attempt's error keeps: each attempt's error is logged, stored and shown.
const maxAnswerText = 200

// clippedError is an error whose text is clipped (see maxAnswerText); it
// still unwraps to the error it clips.
type clippedError struct{ err error }

func (e clippedError) Error() string { return getpaid.ClipText(e.err.Error(), maxAnswerText) }
func (e clippedError) Unwrap() error { return e.err }

// CloseIdleConnections closes the connections the endpoint keeps open to
// its URL between deliveries, when its transport is its own (Config.Client
// nil, or one without a Transport); a transport the caller gave is left
// alone. The engine's Close calls it, so nothing of the endpoint (a
// connection, its goroutines) outlives a shutdown. Later deliveries open
// new connections.
func (e *Endpoint) CloseIdleConnections() {
	if e.own {
		e.client.CloseIdleConnections()
	}
}

// Name is the endpoint's consumer name: "webhook:" and its URL.
func (e *Endpoint) Name() string { return "webhook:" + e.url }

// EventTypes lists the event types the endpoint takes (none: all).
func (e *Endpoint) EventTypes() []getpaid.EventType { return slices.Clone(e.events) }

// Deliver POSTs ev, signed. A 2xx answer is a delivery; any other status
// (a *StatusError), a timeout or a refused connection is a failure the
// engine retries, but for 410 Gone, and not before a Retry-After. A
// failure of this machine before anything was sent (out of file
// descriptors) has a Local method saying so: not the endpoint's attempt.
func (e *Endpoint) Deliver(ctx context.Context, ev getpaid.Event) (int, error) {
	p := NewPayload(ev)
	body, ok := p.appendJSON(make([]byte, 0, payloadSize))
	if !ok {
		var err error
		if body, err = json.Marshal(p); err != nil {
			return 0, fmt.Errorf("webhook: encode %s: %w", ev.ID, err)
		}
	}
	ts := e.now().Unix()
	parent := ctx
	var cancel context.CancelFunc
	if e.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	// Whether any request of this attempt was written: Go's transport sends
	// it again over a new connection when one kept alive ends unanswered,
	// and a failure to open that one is not "nothing sent".
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook: %w", err)
	}
	// The timestamp and the signatures are one string (one allocation),
	// and the headers are set in their canonical form, each value a slice
	// of one array: what Header.Set would send, for less.
	var tb [20]byte
	tsb := strconv.AppendInt(tb[:0], ts, 10)
	var sb strings.Builder
	sb.Grow(len(tsb) + len(e.keys)*(sigLen+1))
	sb.Write(tsb)
	writeSignatures(&sb, e.keys, ev.ID, tsb, body)
	tsig := sb.String()
	vals := [...]string{"application/json", "getpaid-webhooks", ev.ID, tsig[:len(tsb)], tsig[len(tsb):]}
	vs := vals[:]
	req.Header = http.Header{
		"Content-Type":      vs[0:1:1],
		"User-Agent":        vs[1:2:2],
		"Webhook-Id":        vs[2:3:3],
		"Webhook-Timestamp": vs[3:4:4],
		"Webhook-Signature": vs[4:5:5],
	}
	// A delivery is idempotent (receivers dedupe by webhook-id): said so,
	// with an empty value that is not sent, Go's transport sends it again
	// over a new connection when a kept-alive one it was written on ends
	// unanswered (the endpoint's server closed it as idle just then),
	// instead of failing the attempt with "EOF" until its retry.
	req.Header["Idempotency-Key"] = nil
	resp, err := e.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the consumer's name already
		}
		if e.timeout > 0 && parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// The endpoint's own bound, not the caller's: said as such
			// (Go says only "context deadline exceeded").
			return 0, fmt.Errorf("webhook: no answer within %s (%w)", e.timeout, err)
		}
		if !wrote.Load() && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) {
			// This machine's failure, not the endpoint's: nothing was sent.
			return 0, localError{fmt.Errorf("webhook: not sent, getpaid is out of file descriptors (%w)", clippedError{err})}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// Go says only "EOF".
			return 0, fmt.Errorf("webhook: the endpoint closed the connection without answering (%w)", err)
		}
		return 0, fmt.Errorf("webhook: %w", clippedError{err})
	}
	defer resp.Body.Close()
	// The body is read (to keep the connection) but does not count: an
	// endpoint that answered 2xx and stalls in its body has the event, so
	// the read is cut short well before the attempt's deadline, which
	// would make it a timeout, sent again.
	// An answer without a body (204, Content-Length: 0) has none to read.
	if resp.Body != http.NoBody {
		wait := drainFor
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl)/2)
		}
		stop := time.AfterFunc(wait, cancel)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		stop.Stop()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Status: resp.StatusCode, Text: getpaid.ClipText(strings.ToValidUTF8(resp.Status, "\uFFFD"), maxAnswerText),
			After: retryAfter(resp.Header.Get("Retry-After"), e.now())}
		if loc, err := resp.Location(); err == nil && resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			// Shown as the endpoint is (getpaid.ShownURL): a redirect keeping the
			// query (http to https, a slash added) repeats its token.
			se.Location = getpaid.ClipText(strings.ToValidUTF8(getpaid.ShownURL(loc.Redacted()), "\uFFFD"), maxAnswerText)
		}
		return resp.StatusCode, se
	}
	return resp.StatusCode, nil
}

// localError is a failure on getpaid's own machine before anything was
// sent (out of file descriptors): its Local method tells the engine the
// attempt does not count against the endpoint's retry schedule.
type localError struct{ err error }

func (e localError) Error() string { return e.err.Error() }
func (e localError) Unwrap() error { return e.err }

// Local reports that the failure was getpaid's, not the endpoint's.
func (localError) Local() bool { return true }

// payloadSize is room for a usual payload, encoded.
const payloadSize = 512

// drainFor bounds the read of an answer's body once its status is in.
const drainFor = time.Second

// StatusError is an endpoint's answer other than 2xx. Its methods tell the
// engine what the Standard Webhooks specification asks of a sender: 410
// Gone means the endpoint wants no more webhooks (no retries: the delivery
// is dead, for an operator to replay), and a Retry-After is the earliest
// time for the next attempt.
type StatusError struct {
	Status int           // the HTTP status
	Text   string        // the status line's text ("503 Service Unavailable")
	After  time.Duration // the answer's Retry-After from its arrival; 0 when absent, past or unreadable
	// Location is where a redirect (3xx) points, made absolute; redirects
	// are not followed, so if the endpoint moved there it is the URL to
	// configure (a login page is not: the endpoint must answer itself).
	Location string
}

func (e *StatusError) Error() string {
	msg := "webhook: answered " + e.Text
	if e.Location != "" {
		msg += " (to " + e.Location + ": redirects are not followed; if the endpoint moved there, configure that URL)"
	}
	if e.After > 0 {
		msg += fmt.Sprintf(" (Retry-After %s)", e.After)
	}
	return msg
}

// Gone reports whether the endpoint answered 410 Gone.
func (e *StatusError) Gone() bool { return e.Status == http.StatusGone }

// RetryAfter is how long the endpoint asked to wait (0: it did not).
func (e *StatusError) RetryAfter() time.Duration { return e.After }

// Throttled reports whether the answer asks the sender to slow down: 429
// Too Many Requests, or 502 Bad Gateway or 504 Gateway Timeout (an
// endpoint under load), as the Standard Webhooks specification reads them.
func (e *StatusError) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusBadGateway || e.Status == http.StatusGatewayTimeout
}

// maxRetryAfter bounds a Retry-After that would overflow a Duration; the
// engine waits no longer than its schedule's longest wait anyway.
const maxRetryAfter = 365 * 24 * time.Hour

// retryAfter reads a Retry-After value (RFC 9110 section 10.2.3): a number
// of seconds or an HTTP date, as a wait from now.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && n <= 0:
		return 0
	case err == nil:
		return time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	case errors.Is(err, strconv.ErrRange) && v[0] != '-':
		// Digits past int64 (delay-seconds is any number of digits): the
		// longest wait, not none.
		return maxRetryAfter
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), maxRetryAfter)
}
