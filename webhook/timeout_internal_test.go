package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The default client has no Timeout of its own: Deliver bounds each
// request by the endpoint's timeout (10 s), as a context deadline, also when
// its caller gives none. A given client keeps its own Timeout alone.
func TestDefaultClientTimeoutBoundsDeliver(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	e, err := New(Config{URL: srv.URL, Secrets: []string{NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	if e.timeout != 10*time.Second || e.client.Timeout != 0 {
		t.Fatalf("default client: timeout %s, client Timeout %s; want 10s and none", e.timeout, e.client.Timeout)
	}
	given, err := New(Config{URL: srv.URL, Secrets: []string{NewSecret()}, Client: &http.Client{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if given.timeout != 0 || given.client.Timeout != time.Minute {
		t.Fatalf("given client: timeout %s, client Timeout %s; want none and its 1m", given.timeout, given.client.Timeout)
	}
	// Not Go's shared default transport, whose idle connections anything
	// in the process may close under a delivery being sent.
	if _, ok := given.client.Transport.(*http.Transport); !ok || given.client.Transport == http.DefaultTransport {
		t.Fatalf("given client without a transport: delivers over %T (the shared default: %v)", given.client.Transport, given.client.Transport == http.DefaultTransport)
	}
	e.timeout = 200 * time.Millisecond
	start := time.Now()
	status, err := e.Deliver(context.Background(), getpaid.Event{ID: "evt_1", Type: getpaid.EventPaymentCreated, At: time.Now()})
	if err == nil || status != 0 {
		t.Fatalf("a stalled endpoint: %d, %v; want a timeout", status, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s; want the endpoint's timeout, 200ms", took)
	}
	// The attempt's error (stored, shown as last_error) says whose bound it was.
	if want := "webhook: no answer within 200ms (context deadline exceeded)"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	// A caller's own deadline, sooner, is the caller's: not said to be the endpoint's.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e.timeout = time.Minute
	if _, err := e.Deliver(ctx, getpaid.Event{ID: "evt_2", Type: getpaid.EventPaymentCreated, At: time.Now()}); err == nil ||
		strings.Contains(err.Error(), "no answer within") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller's deadline: %v; want context.DeadlineExceeded, not the endpoint's bound", err)
	}
}

type wrappedDefault struct{ next http.RoundTripper }

func (w wrappedDefault) RoundTrip(r *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(r)
}

// An application that wrapped http.DefaultTransport got a panic from
// NewTransport (and New without a client): it is a transport of Go's
// defaults. Not parallel: it replaces the default for its duration.
func TestNewTransportOverAReplacedDefault(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = wrappedDefault{orig}
	defer func() { http.DefaultTransport = orig }()
	tr := NewTransport()
	if tr == nil || tr.Proxy == nil || tr.MaxIdleConnsPerHost != 64 {
		t.Fatalf("NewTransport over a wrapped default: %+v", tr)
	}
	if _, err := New(Config{URL: "https://erp.example/hook", Secrets: []string{NewSecret()}}); err != nil {
		t.Fatal(err)
	}
}
