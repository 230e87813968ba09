package brokerhttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

func TestClient(t *testing.T) {
	t.Parallel()
	given := &http.Client{Timeout: time.Minute}
	tests := []struct {
		name    string
		given   *http.Client
		timeout time.Duration
		want    time.Duration
	}{
		{"default", nil, 0, 30 * time.Second},
		{"timeout", nil, 5 * time.Second, 5 * time.Second},
		{"given client kept", given, 0, time.Minute},
		{"timeout over a given client", given, time.Second, time.Second},
	}
	for _, tt := range tests {
		c := Client(tt.given, tt.timeout, 30*time.Second)
		if c.Timeout != tt.want || c == given {
			t.Errorf("%s: timeout %v, want %v (a copy)", tt.name, c.Timeout, tt.want)
		}
		// The shared default transport's idle connections are closed by
		// whatever else in the process asks (httptest.Server.Close does),
		// breaking a request just sent on one.
		if c.Transport == nil || c.Transport == http.DefaultTransport {
			t.Errorf("%s: the client uses the shared default transport", tt.name)
		}
	}
	if Client(nil, 0, 0).Transport == Client(nil, 0, 0).Transport || given.Transport != nil {
		t.Error("two clients share a transport, or the given client changed")
	}
	mine := &http.Transport{}
	if Client(&http.Client{Transport: mine}, 0, 0).Transport != mine {
		t.Error("a given transport was replaced")
	}
	if NoRedirects(Client(given, 0, 0)).CheckRedirect(nil, nil) != http.ErrUseLastResponse || given.CheckRedirect != nil || given.Timeout != time.Minute {
		t.Error("NoRedirects: the copy follows redirects, or the given client changed")
	}
}

// Send classifies what got no answer: a change may have been acted on,
// unless the connection was never made.
func TestSendClassification(t *testing.T) {
	t.Parallel()
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("short")) // the answer ends early
	}))
	t.Cleanup(cut.Close)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", MaxAnswer+10)))
	}))
	t.Cleanup(ok.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name              string
		url               string
		changes           bool
		happened, noReply bool
		status            int
	}{
		{"connection refused, a change", closed.URL, true, false, true, 0},
		{"answer cut, a change", cut.URL, true, true, true, http.StatusOK},
		{"answer cut, a lookup", cut.URL, false, false, true, http.StatusOK},
		{"answer read", ok.URL, true, false, false, http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, tt.url, nil)
		code, body, err := Send(http.DefaultClient, req, "x: op", tt.changes)
		if !tt.noReply {
			if err != nil || code != tt.status || len(body) != MaxAnswer {
				t.Errorf("%s: %d, %d bytes, %v", tt.name, code, len(body), err)
			}
			continue
		}
		var be *getpaid.BrokerError
		if !errors.As(err, &be) || !be.Retryable || be.Happened != tt.happened || be.Status != tt.status || be.Op != "x: op" {
			t.Errorf("%s: %#v, want retryable, happened %v, status %d", tt.name, err, tt.happened, tt.status)
		}
	}
}

func TestStatusError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code                int
		changes             bool
		retryable, happened bool
	}{
		{400, true, false, false}, {401, true, false, false}, {404, false, false, false},
		{408, true, true, false}, {429, true, true, false},
		{500, true, true, true}, {502, false, true, false}, {503, true, true, true},
	} {
		e := StatusError("x: op", tt.code, tt.changes, "text")
		if e.Retryable != tt.retryable || e.Happened != tt.happened || e.Status != tt.code || e.Err.Error() != "text" {
			t.Errorf("%d (changes %v): %+v", tt.code, tt.changes, e)
		}
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "no error text", "  \n": "no error text", " oops\n": "oops",
		strings.Repeat("y", 300): strings.Repeat("y", 200),
		// An error page in Polish whose 200th byte is inside "ł": cut
		// before the character, not through it.
		strings.Repeat("y", 199) + "łą dalej": strings.Repeat("y", 199),
		strings.Repeat("y", 198) + "€ dalej":  strings.Repeat("y", 198),
		strings.Repeat("y", 197) + "€ dalej":  strings.Repeat("y", 197) + "€",
		// Bytes that are no text at all are not passed on as they came.
		"bad \xff\xfe answer": "bad \uFFFD answer"} {
		if got := Snippet([]byte(in)); got != want {
			t.Errorf("Snippet(%q) = %q, want %q", in, got, want)
		}
	}
}

type wrapped struct{ next http.RoundTripper }

func (w wrapped) RoundTrip(r *http.Request) (*http.Response, error) { return w.next.RoundTrip(r) }

// An application that wrapped http.DefaultTransport (to trace its calls, or
// a test's fake) got a panic building any backend: the backend has a
// transport of its own still, of net/http's default settings, which its
// Close may close without touching the application's. Not parallel: it
// replaces the default for its duration.
func TestOwnTransportOverAReplacedDefault(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = wrapped{orig}
	defer func() { http.DefaultTransport = orig }()
	own, ok := Client(nil, 0, time.Second).Transport.(ownTransport)
	if !ok || own.Proxy == nil || own.IdleConnTimeout != 90*time.Second {
		t.Fatalf("transport %#v, want one of the backend's own with the default settings", Client(nil, 0, time.Second).Transport)
	}
}

// countingCloser counts CloseIdleConnections calls.
type countingCloser struct {
	http.RoundTripper
	n int
}

func (c *countingCloser) CloseIdleConnections() { c.n++ }

// CloseIdle closes only a transport the backend made: one the application
// gave (perhaps its tracing wrapper, shared by everything else) is left
// alone.
func TestCloseIdleLeavesAGivenTransport(t *testing.T) {
	t.Parallel()
	given := &countingCloser{RoundTripper: http.DefaultTransport}
	CloseIdle(Client(&http.Client{Transport: given}, 0, 0))
	if given.n != 0 {
		t.Fatal("CloseIdle closed the connections of a transport the caller gave")
	}
	CloseIdle(Client(nil, 0, 0)) // its own: closed, and no panic
}

// NotFound: the broker's own 404 is "not there"; a 404 whose body was not
// the broker's (ForeignStatusError) becomes a retryable error naming the
// broker and keeping the page's text; any other error is left alone.
func TestNotFound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		err       error
		notFound  bool
		retryable bool
		text      string // in the error after
	}{
		{"the broker's own 404", StatusError("op", 404, false, "DATA_NOT_FOUND"), true, false, "DATA_NOT_FOUND"},
		{"a proxy's 404", ForeignStatusError("op", 404, false, "<h1>Not Found</h1>"), false, true, "not PayU's"},
		{"a proxy's 404 keeps its text", ForeignStatusError("op", 404, false, "<h1>Not Found</h1>"), false, true, "<h1>Not Found</h1>"},
		{"a proxy's 502", ForeignStatusError("op", 502, true, "bad gateway"), false, true, "bad gateway"},
		{"the broker's 400", StatusError("op", 400, false, "ERROR_SYNTAX"), false, false, "ERROR_SYNTAX"},
		{"no broker error", errors.New("dial: refused"), false, false, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.err
			if got := NotFound("op", "PayU", &err); got != tc.notFound {
				t.Fatalf("NotFound = %v, want %v", got, tc.notFound)
			}
			if getpaid.IsRetryable(err) != tc.retryable || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("after: %v (retryable %v), want retryable %v and %q in it", err, getpaid.IsRetryable(err), tc.retryable, tc.text)
			}
		})
	}
}
