package brokertest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// Simulator is what the suite needs from a broker simulator.
type Simulator interface {
	// Pay acts as the buyer sent to the broker by rd (a GET link or an
	// auto-submitted POST form; NewBuyerRequest builds either request):
	// "paid", "declined" or "abandoned".
	Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error
	// Quiet waits until the simulator has nothing in flight: every
	// notification it started sending was acknowledged or given up, so a
	// test can assert that nothing changed without sleeping.
	Quiet(ctx context.Context) error
	// SetFailure makes the broker's API fail: "" healthy, "5xx", "timeout".
	SetFailure(mode string)
}

// Harness adapts one broker and its simulator to the suite.
type Harness struct {
	Name   string         // backend name, as mounted: "payu"
	Broker getpaid.Broker // configured against Sim, with an HTTP client timeout of about a second
	Sim    Simulator
	Amount getpaid.Money // what to charge in the tests

	// PaidNotification builds the broker's signed "paid" notification for p
	// (already paid at the simulator) reporting amount, which may differ from
	// p's amount or currency for the wrong-amount tests.
	PaidNotification func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error)
	// FailedNotification builds a signed failure notification for p; nil for
	// brokers that send none (Przelewy24).
	FailedNotification func(p *getpaid.Payment) (*getpaid.CallbackRequest, error)
	// DeclinedStatus is where a declined payment ends: failed for brokers that
	// notify failures, prepared for those that stay silent.
	DeclinedStatus getpaid.Status

	// PreparesOffline says Prepare calls no broker API (Dotpay sends the
	// buyer with a signed form): a broker that is down cannot fail it, so
	// the broker-down case checks that the payment still starts and that
	// polling fails retryably.
	PreparesOffline bool
	// NotificationHasNoCurrency says the broker's notifications name no
	// currency at all (Transferuj's legacy notification: the account takes
	// one currency, and neither the payment form nor the notification
	// names it), so no valid notification can differ from another in its
	// currency alone. The wrong-currency case then checks what protects
	// such a backend instead: a payment in another currency is refused
	// before anything reaches the broker, and a notification is read in
	// the account's currency.
	NotificationHasNoCurrency bool
	// InProcess says the backend is its own broker, inside getpaid's
	// process (the dummy: its paywall is served by getpaid and its poll
	// reads its own memory): it has no API that can be down, so
	// Sim.SetFailure can do nothing and the broker-down cases are skipped.
	InProcess bool
	// CaptureKeepsRest says a partial capture leaves the rest of the hold
	// held, to be captured or released later (the dummy), instead of
	// releasing it with the capture (PayU): the partial-capture case then
	// checks the rest is still held and releases it.
	CaptureKeepsRest bool

	// Optional hooks; a case whose hook is missing is skipped.

	// WrongAmountAdvance says a notification for another amount is recorded
	// as an advance (getpaid.KindAdvance: Przelewy24 holds such money until
	// the merchant accepts it) instead of being refused.
	WrongAmountAdvance bool
	// ResignOtherKey returns req signed the way the broker signs, but with
	// a key that is not the backend's.
	ResignOtherKey func(req *getpaid.CallbackRequest) (*getpaid.CallbackRequest, error)
	// PreAuthOutcome is the Sim.Pay outcome that leaves the buyer's funds
	// held (a pre-authorisation); with it, and a broker that captures and
	// releases, the suite checks capture, partial capture and release.
	PreAuthOutcome string

	// Refunds are checked when Broker is a getpaid.Refunder; the simulator
	// must finish every refund it accepts on its own (settle it and notify
	// it). The doubt cases run when Sim also implements OperationFaulter and
	// Broker getpaid.OperationFetcher.

	// The fields below are optional: each enables the cases of extra.go
	// that need it.

	// PartialNotification builds the broker's signed notification that
	// only paid, less than p's amount, has been paid for p so far (a
	// cumulative total). p was started but not paid at the simulator; the
	// suite then tops it up with PaidNotification for the whole amount.
	PartialNotification func(p *getpaid.Payment, paid getpaid.Money) (*getpaid.CallbackRequest, error)
	// PanelRefund makes the simulator refund amount of the paid p on its
	// own, as a merchant does in the broker's panel (outside getpaid): the
	// simulator records the refund and sends its notification as the
	// broker would. It returns that signed notification, so the suite can
	// deliver it again. Nil for brokers that report no refunds made at the
	// broker; it enables the "refund made at the broker" case.
	PanelRefund func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error)
	// Tamperings returns broker-specific broken copies of a valid
	// notification (an untrusted signer, a signature over another body,
	// ...): every one must be refused with ErrSignatureInvalid.
	Tamperings func(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest
	// AckBody is the exact body the broker requires in answer to a
	// notification (Tpay: TRUE); the suite checks getpaid answers it.
	AckBody []byte

	// baseURL is the base URL the first env made of this harness
	// provisioned Broker with: a broker value serves one base URL (see
	// getpaid.Provisioner), so a second getpaid of the harness (a stranger
	// to its payments) is provisioned with it too.
	baseURL string
}

// OperationFaulter is a simulator whose money operations can be made to
// fail: "" healthy; "timeout-after" applies the operation and never answers;
// "timeout-before" never answers and does nothing; "5xx" answers a server
// error and does nothing.
type OperationFaulter interface {
	SetOperationFault(mode string)
}

// NewBuyerRequest is the request a buyer's browser makes when getpaid sends
// it on with rd: a GET of the link, or the auto-submitted form POSTed as
// application/x-www-form-urlencoded.
func NewBuyerRequest(ctx context.Context, rd *getpaid.Redirect) (*http.Request, error) {
	if rd == nil || rd.URL == "" {
		return nil, errors.New("brokertest: no redirect")
	}
	return simkit.BuyerRequest(ctx, rd)
}

// stores are the stores every case runs on: the suite's guarantees must
// hold whatever store getpaid runs on.
var stores = []struct {
	name string
	open func(t *testing.T) getpaid.Store
}{
	{"memory", func(*testing.T) getpaid.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) getpaid.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// env is getpaid running over HTTP with one backend.
type env struct {
	h     *Harness
	eng   *engine.Engine
	store getpaid.Store
	srv   *httptest.Server
}

func newEnv(t *testing.T, h *Harness, newStore func(t *testing.T) getpaid.Store) *env {
	t.Helper()
	e := &env{h: h, store: newStore(t)}
	late := &lateHandler{}
	e.srv = httptest.NewServer(late)
	t.Cleanup(e.srv.Close)
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: h.Name, Broker: h.Broker})
	if err != nil {
		t.Fatal(err)
	}
	// Operations in doubt are due again at once, and one the broker shows
	// not done is failed at once (SubmittingAfter: the engine's own tests
	// check the wait): the doubt cases run the reconciler themselves.
	if h.baseURL == "" {
		h.baseURL = e.srv.URL
	}
	e.eng, err = engine.New(engine.Config{Store: e.store, Registry: reg, BaseURL: h.baseURL,
		Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{time.Millisecond}, SubmittingAfter: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.eng.Close() })
	handler, err := httpapi.New(httpapi.Config{Service: e.eng})
	if err != nil {
		t.Fatal(err)
	}
	late.h.Store(handler)
	return e
}

func (e *env) pay(t *testing.T, order string) *getpaid.Payment {
	t.Helper()
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{
		OrderID: order, Backend: e.h.Name, Amount: e.h.Amount, Description: "Conformance " + order,
		Buyer:     getpaid.Buyer{Email: "buyer@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "pl"},
		ReturnURL: "https://shop.example/orders/" + order, ClientIP: "203.0.113.10",
	})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if p.Status != getpaid.StatusPrepared || p.Redirect == nil {
		t.Fatalf("pay: status %s, redirect %v", p.Status, p.Redirect)
	}
	return p
}

// waitStatus waits for the asynchronous notification to move p to want.
func (e *env) waitStatus(t *testing.T, id string, want getpaid.Status) *getpaid.Payment {
	t.Helper()
	return WaitStatus(t, e.store, id, want)
}

func (e *env) history(t *testing.T, id string) []getpaid.Transition {
	t.Helper()
	h, err := e.store.History(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// unchanged asserts that p's status and history did not move.
func (e *env) unchanged(t *testing.T, before *getpaid.Payment, hist int) {
	t.Helper()
	p, err := e.store.Payment(context.Background(), before.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != before.Status || p.Captured != before.Captured || len(e.history(t, p.ID)) != hist {
		t.Fatalf("payment changed: %s -> %s, captured %d -> %d", before.Status, p.Status, before.Captured, p.Captured)
	}
}

func (e *env) callback(req *getpaid.CallbackRequest) (*getpaid.CallbackResult, error) {
	return e.eng.HandleCallback(context.Background(), e.h.Name, req)
}

func isRetryable(err error) bool {
	var be *getpaid.BrokerError
	return errors.As(err, &be) && be.Retryable
}
