package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
)

const (
	secret   = "test-secret"
	password = "correct horse battery"
)

// env is getpaid wired as "getpaid serve" wires it: the API and callbacks
// at /, the console at /admin/, over a memory store and the dummy broker.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	eng     *engine.Engine
	console *admin.Console
	audit   *syncBuffer
	dummy   *dummy.Broker
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	hashOnce sync.Once
	hash     string
)

// testHash is the bcrypt hash of password at the lowest cost (fast tests).
func testHash(t testing.TB) string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		hash = string(h)
	})
	return hash
}

// newEnv serves a console (user alice) and the JSON API over store (memory
// when nil) with one dummy backend. opts adjust the console's config.
func newEnv(t *testing.T, store getpaid.Store, secure bool, opts ...func(*admin.Config)) *env {
	t.Helper()
	return newEnvWith(t, store, secure, nil, opts...)
}

// newEnvWith is newEnv with the dummy broker seen through wrap (nil: as
// it is), for a broker that misbehaves in a way the dummy cannot.
func newEnvWith(t *testing.T, store getpaid.Store, secure bool, wrap func(*dummy.Broker) getpaid.Broker, opts ...func(*admin.Config)) *env {
	t.Helper()
	return newEnvEngine(t, store, secure, wrap, nil, opts...)
}

// newEnvEngine is newEnvWith with the engine's config adjusted by eng (nil:
// as it is), for consumers of events and their retry schedule.
func newEnvEngine(t *testing.T, store getpaid.Store, secure bool, wrap func(*dummy.Broker) getpaid.Broker, eng func(*engine.Config), opts ...func(*admin.Config)) *env {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	e := &env{t: t, audit: &syncBuffer{}}
	var root http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { root.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	d, err := dummy.New(dummy.Config{Secret: secret, RetryDelays: []time.Duration{10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e.dummy = d
	var br getpaid.Broker = d
	if wrap != nil {
		br = wrap(d)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Title: "Dummy", Broker: br})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ecfg := engine.Config{Store: store, Registry: reg, BaseURL: e.srv.URL, Logger: quiet}
	if eng != nil {
		eng(&ecfg)
	}
	e.eng, err = engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.eng.Close() })
	calls := admin.NewCallbackLog(10, reg.Names())
	api, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{"0123456789abcdef"}, Logger: quiet, OnCallback: calls.Record})
	if err != nil {
		t.Fatal(err)
	}
	cfg := admin.Config{
		Service: e.eng, Users: []admin.User{{Name: "alice", PasswordHash: testHash(t)}}, Prefix: "/admin",
		Secure:    func(*http.Request) bool { return secure },
		ClientIP:  api.ClientIP,
		Callbacks: calls, Env: e.eng.Env,
		Audit: slog.New(slog.NewJSONHandler(e.audit, nil)), Logger: quiet,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.console, err = admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", e.console))
	mux.Handle("/", api)
	root = mux
	return e
}

// pay creates a payment and makes the buyer choose outcome on the paywall;
// it waits until the payment reaches want.
func (e *env) pay(order, amount, outcome string, want getpaid.Status) *getpaid.Payment {
	e.t.Helper()
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "dummy",
		Amount: getpaid.MustParseMoney(amount, "PLN"), Description: "Order " + order})
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := url.Parse(p.Redirect.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(e.srv.URL+"/broker/dummy/choose?"+u.RawQuery+"&outcome="+outcome, "application/x-www-form-urlencoded", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if want == "" {
		return p
	}
	return e.wait(p.ID, want)
}

// refundInDoubt asks a refund of p whose broker answer is lost (the dummy
// times out before acting, and goes on doing so for every money operation
// until its fault is set back) and returns the operation, left unknown.
func (e *env) refundInDoubt(p *getpaid.Payment, key string) *getpaid.Operation {
	e.t.Helper()
	ctx := context.Background()
	if err := e.dummy.SetFault("timeout-before"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: key}); err == nil {
		e.t.Fatal("refund with the broker's answer lost: no error")
	}
	ops, err := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		e.t.Fatalf("operations = %+v, %v", ops, err)
	}
	return ops.Operations[0]
}

// wait polls until payment id has status want (10 s at most).
func (e *env) wait(id string, want getpaid.Status) *getpaid.Payment {
	e.t.Helper()
	return brokertest.WaitStatus(e.t, e.eng, id, want)
}

// browser is an HTTP client with its own cookies that does not follow
// redirects.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	last string // the last page's body
	// client, when set, is sent as X-Test-Client: the client address of
	// an env whose ClientIP reads it (byTestClient).
	client string
}

// byTestClient makes the console take a request's client address from
// X-Test-Client, so a test can sign in from several addresses.
func byTestClient(c *admin.Config) {
	c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-Client") }
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Transport: brokerhttp.OwnTransport(), Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) *http.Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.client != "" {
		req.Header.Set("X-Test-Client", b.client)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	b.last = string(out)
	return resp
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var keyField = regexp.MustCompile(`name="key" value="([^"]+)"`)

// csrf is the CSRF token of the last page.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.last)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", b.last)
	}
	return m[1]
}

// login signs in as alice with pw and returns the answer.
func (b *browser) login(pw string) *http.Response {
	b.t.Helper()
	b.do("GET", "/admin/login", nil)
	return b.do("POST", "/admin/login", url.Values{"csrf": {b.csrf()}, "name": {"alice"}, "password": {pw}})
}

// mustLogin signs in or fails the test.
func (b *browser) mustLogin() {
	b.t.Helper()
	if resp := b.login(password); resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: %d\n%s", resp.StatusCode, b.last)
	}
}

// frozen stops the console's clock at the moment of the call: a test of the
// login throttle must not see its wait run out on a slow machine.
func frozen(c *admin.Config) {
	at := time.Now()
	c.Now = func() time.Time { return at }
}
