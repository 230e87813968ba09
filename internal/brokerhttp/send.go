package brokerhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// MaxAnswer bounds how much of a broker's answer Send reads.
const MaxAnswer = 1 << 20

// Client returns the client a backend calls its broker with: a copy of given
// (nil: a new client with the timeout def), its Timeout replaced by timeout
// when that is positive. The copy leaves given untouched. A client without
// a Transport gets one of its own (see OwnTransport).
func Client(given *http.Client, timeout, def time.Duration) *http.Client {
	c := http.Client{Timeout: def}
	if given != nil {
		c = *given
	}
	if timeout > 0 {
		c.Timeout = timeout
	}
	if c.Transport == nil {
		c.Transport = OwnTransport()
	}
	return &c
}

// OwnTransport returns a new transport set as http.DefaultTransport is, with a
// connection pool of its own. On the shared default transport, anything in
// the process calling its CloseIdleConnections (every httptest.Server's
// Close does) can break a connection just taken for a request: a POST on it
// fails with "http: CloseIdleConnections called" after it may have reached
// the broker, and a change asked for is then in doubt for nothing. Whoever
// holds a client over it closes it with CloseIdle when done (a backend's
// Close does). An application that replaced http.DefaultTransport (wrapped
// it to trace its calls) and wants a backend to use it gives the backend an
// HTTPClient over it.
func OwnTransport() http.RoundTripper { return ownTransport{NewTransport()} }

// ownTransport is a transport OwnTransport made: one client alone uses it.
type ownTransport struct{ *http.Transport }

// NewTransport returns a transport set as http.DefaultTransport is: a clone
// of it, or, when the application replaced it with another RoundTripper,
// one with net/http's default settings.
func NewTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2: true, MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second}
}

// CloseIdle closes c's idle connections when its transport is one
// OwnTransport made; a transport the caller gave (shared, perhaps, with the
// rest of the application) is left alone.
func CloseIdle(c *http.Client) {
	if _, ok := c.Transport.(ownTransport); ok {
		c.CloseIdleConnections()
	}
}

// NoRedirects makes c answer a redirect itself instead of following it,
// whatever its CheckRedirect said, and returns c.
func NoRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// Send performs req with client and reads at most MaxAnswer bytes of the
// answer. A failure to get an answer is a retryable *getpaid.BrokerError
// named op; it is Happened when changes (the request asks the broker to
// change something) unless the connection was never made.
func Send(client *http.Client, req *http.Request, op string, changes bool) (code int, body []byte, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, Transport(op, changes, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return resp.StatusCode, nil, &getpaid.BrokerError{Op: op, Retryable: true, Happened: changes, Status: resp.StatusCode, Err: err}
	}
	return resp.StatusCode, body, nil
}

// PostForm posts form to target, asking for JSON, with Send: the request of
// an OAuth client_credentials grant.
func PostForm(ctx context.Context, client *http.Client, target string, form url.Values, op string, changes bool) (code int, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, &getpaid.BrokerError{Op: op, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return Send(client, req, op, changes)
}

// Transport classifies a request that got no answer: retryable, and
// Happened when changes unless the connection was never made (a dial
// failure: the broker never saw the request).
func Transport(op string, changes bool, err error) *getpaid.BrokerError {
	var oe *net.OpError
	dial := errors.As(err, &oe) && oe.Op == "dial"
	return &getpaid.BrokerError{Op: op, Retryable: true, Happened: changes && !dial, Err: err}
}

// StatusError classifies an answer with an unwanted status code, the
// broker's error text in text: retryable for 5xx, 408 and 429 (a refusal
// that asks to come back later); Happened for a 5xx to a request that
// changes something (the broker may have acted before it failed).
func StatusError(op string, code int, changes bool, text string) *getpaid.BrokerError {
	return &getpaid.BrokerError{Op: op, Status: code, Retryable: RetryableStatus(code),
		Happened: changes && code >= 500, Err: errors.New(text)}
}

// ForeignStatusError is StatusError for an error answer whose body is not
// the broker's own (a proxy's or gateway's page, an empty body, another
// service's JSON): its Err is a *ForeignError with text, so that NotFound
// does not read its 404 as the broker's "not there".
func ForeignStatusError(op string, code int, changes bool, text string) *getpaid.BrokerError {
	be := StatusError(op, code, changes, "")
	be.Err = &ForeignError{Text: text}
	return be
}

// ForeignError is the text of an error answer that is not the broker's own.
type ForeignError struct{ Text string }

func (e *ForeignError) Error() string { return e.Text }

// NotFound reports whether *err is the broker's own 404: what a lookup
// asked for is not there. A 404 whose body is not the broker's
// (ForeignStatusError) says nothing of it: *err becomes a retryable error
// saying so, naming broker ("PayU"), and whatever was looked up (a refund
// or an operation in doubt) stays in doubt, as for a 5xx.
func NotFound(op, broker string, err *error) bool {
	var be *getpaid.BrokerError
	if !errors.As(*err, &be) || be.Status != http.StatusNotFound {
		return false
	}
	var foreign *ForeignError
	if errors.As(*err, &foreign) {
		*err = &getpaid.BrokerError{Op: op, Status: http.StatusNotFound, Retryable: true,
			Err: fmt.Errorf("a 404 that is not %s's, so it says nothing of what was looked up and may be asked again: %w", broker, foreign)}
		return false
	}
	return true
}

// RetryableStatus reports whether an answer with status code may succeed
// when asked again: a 5xx, 408 Request Timeout or 429 Too Many Requests.
func RetryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// Snippet is an answer's body as an error text when the broker's error
// format did not give one: trimmed, at most 200 bytes cut between
// characters, bytes that are not UTF-8 as U+FFFD, "no error text" when
// empty.
func Snippet(raw []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(raw)), "\uFFFD")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" {
		s = "no error text"
	}
	return s
}

// TokenSnippet is Snippet for the answer of an OAuth token request, quoted
// (%q): an answer that names an access or refresh token is not quoted at
// all, since the token in it is a credential for the merchant's account
// (refunds included), and an error goes to the log, an operation's error
// and the console.
func TokenSnippet(raw []byte) string {
	l := bytes.ToLower(raw)
	if bytes.Contains(l, []byte("access_token")) || bytes.Contains(l, []byte("refresh_token")) {
		return "(the answer names a token: not quoted)"
	}
	return strconv.Quote(Snippet(raw))
}
