package getpaid

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Broker is the small interface every payment backend implements. Optional
// capabilities (StatusFetcher, Capturer, ...) are separate interfaces found by
// type assertion, the way database/sql/driver grows. Every capability method
// takes a request struct, so a field can be added without breaking brokers.
type Broker interface {
	// Currencies lists the ISO 4217 codes the backend accepts.
	Currencies() []string
	// Prepare registers the payment at the broker and says where to send the
	// buyer. It must not change req.Payment; the engine records the result.
	Prepare(ctx context.Context, req *PrepareRequest) (*Prepared, error)
	// ParseCallback verifies a notification over its raw bytes (wrapping
	// ErrSignatureInvalid or ErrMalformedCallback when it is not acceptable)
	// and parses it into an observation. It must not change anything.
	ParseCallback(ctx context.Context, req *CallbackRequest) (*Observation, error)
}

// Env is what getpaid tells a backend about itself: its name and where
// getpaid's HTTP handler is reachable, from which every URL a broker sends
// (callback, returns, the backend's own pages) is derived. The engine gives
// it to every broker that implements Provisioner, once, before any other call.
type Env struct {
	// Backend is the backend's name in the registry ("payu_pln"): callback
	// URLs and stored payments use it, never the broker's kind.
	Backend string
	// BaseURL is the absolute URL where getpaid's handler is mounted
	// ("https://shop.example/payments"), without a trailing slash.
	BaseURL string
	// Logger is the engine's logger; never nil once provisioned.
	Logger *slog.Logger
}

// The paths of getpaid's HTTP handler, relative to Env.BaseURL. The HTTP
// layer serves them; brokers learn their absolute form from Env.
const (
	CallbackPath = "/callback/" // + backend name
	SuccessPath  = "/success/"  // + payment id
	FailurePath  = "/failure/"  // + payment id
	PagesPath    = "/broker/"   // + backend name: a PageServer's pages
)

// CallbackURL is where the broker sends this backend's notifications.
func (e Env) CallbackURL() string { return e.BaseURL + CallbackPath + url.PathEscape(e.Backend) }

// PagesURL is where a PageServer's pages are mounted (no trailing slash).
func (e Env) PagesURL() string { return e.BaseURL + PagesPath + url.PathEscape(e.Backend) }

// SuccessURL is where the broker returns the buyer of payment id after paying.
func (e Env) SuccessURL(id string) string { return e.BaseURL + SuccessPath + url.PathEscape(id) }

// FailureURL is where the broker returns the buyer of payment id after a failure.
func (e Env) FailureURL(id string) string { return e.BaseURL + FailurePath + url.PathEscape(id) }

// NewEnv returns the environment of backend for a handler mounted at baseURL.
func NewEnv(backend, baseURL string, log *slog.Logger) Env {
	if log == nil {
		log = slog.Default()
	}
	return Env{Backend: backend, BaseURL: strings.TrimRight(baseURL, "/"), Logger: log.With("backend", backend)}
}

// Provisioner is a broker that needs its environment (nearly all do: the
// callback URL is part of it). Each engine calls Provision once per backend
// before serving (again for a second engine on the same registry, with the
// same base URL: start nothing in it that must run once); an error stops the
// engine from starting. The brokers of broker/* refuse another backend name
// or base URL after the first (getpaid.ErrInvalidRequest). A broker used
// before it is provisioned fails its calls with a clear error.
type Provisioner interface {
	Provision(ctx context.Context, env Env) error
}

// A broker that holds resources (goroutines, connections, retry loops)
// implements io.Closer; Registry.Close closes it on shutdown and reports the
// errors.

// PrepareRequest is what a broker needs to register a payment. URLs come from
// the broker's Env.
type PrepareRequest struct {
	Payment  *Payment
	ClientIP string // the buyer's IP, resolved through trusted proxies only
}

// Prepared is a broker's answer to Prepare.
type Prepared struct {
	ExternalID string // the broker's id for the payment, if it issues one now
	Redirect   *Redirect
}

// CallbackRequest is a broker notification as it arrived, raw.
type CallbackRequest struct {
	Method   string
	Header   http.Header
	Query    url.Values
	Body     []byte // the raw body: signatures are checked over these bytes
	RemoteIP string // the sender's IP, resolved through trusted proxies only
}

// CallbackVerifier checks only a callback's signature, without parsing it,
// so tools can tell a bad signature from a body getpaid cannot apply. Brokers
// that sign inside the body (Przelewy24) do not need it.
type CallbackVerifier interface {
	VerifyCallback(ctx context.Context, req *CallbackRequest) error
}

// StatusRequest asks for a payment's current status at the broker.
type StatusRequest struct {
	Payment *Payment
}

// StatusFetcher asks the broker for a payment's current status (pull mode).
// Without it a payment is only moved by notifications. An observation of
// KindNone means the broker has nothing new.
type StatusFetcher interface {
	FetchStatus(ctx context.Context, req *StatusRequest) (*Observation, error)
}

// ConfirmRequest is a verified notification to confirm before applying it.
type ConfirmRequest struct {
	Payment     *Payment
	Observation *Observation
}

// CallbackConfirmer confirms a verified notification with the broker before it
// is applied (Przelewy24's transaction/verify). If it fails, nothing changes
// and the broker is told to retry. Without it an observation applies as
// parsed.
type CallbackConfirmer interface {
	ConfirmCallback(ctx context.Context, req *ConfirmRequest) error
}

// CallbackResponder gives the acknowledgement body a broker expects ("OK",
// "TRUE", ...). Without it the engine answers an empty 200.
type CallbackResponder interface {
	CallbackAck() (contentType string, body []byte)
}

// The money operations (capture, release, refund, cancel) share one shape:
// the request names getpaid's payment and the operation's stable id, which a
// broker that deduplicates requests (PayU's extRefundId, Przelewy24's
// requestId) is sent, so a retry is recognised at the broker too. The answer
// is what the broker reported: an observation applied like a notification
// (for a refund, KindRefundStarted means the broker accepted it and finishes
// it later; KindRefunded that it is done). An error is a *BrokerError whose
// Happened field says whether the broker may have acted anyway, or, for a
// request refused before anything was sent (missing credentials, an amount
// the wire format cannot carry), an error wrapping ErrNotSupported,
// ErrInvalidRequest, ErrInvalidAmount, ErrAmountMismatch or
// ErrUnknownCurrency. Any other error leaves the operation in doubt.

// CaptureRequest asks to capture Amount of a pre-authorisation.
type CaptureRequest struct {
	Payment     *Payment
	Amount      Money
	OperationID string
}

// Capturer captures funds held by a pre-authorisation, in part or in full.
// Without it captures are refused with ErrNotSupported.
type Capturer interface {
	Capture(ctx context.Context, req *CaptureRequest) (*Observation, error)
}

// ReleaseRequest asks to release what a pre-authorisation still holds.
type ReleaseRequest struct {
	Payment     *Payment
	OperationID string
}

// Releaser releases a pre-authorisation hold. Without it releases are refused
// with ErrNotSupported.
type Releaser interface {
	Release(ctx context.Context, req *ReleaseRequest) (*Observation, error)
}

// RefundRequest asks to refund Amount of captured money.
type RefundRequest struct {
	Payment     *Payment
	Amount      Money
	OperationID string // getpaid's id of this refund, stable across retries
	Reason      string // free text for the broker's records, may be empty
}

// Refunder refunds captured money, in part or in full. Without it refunds are
// refused with ErrNotSupported.
type Refunder interface {
	Refund(ctx context.Context, req *RefundRequest) (*Observation, error)
}

// CancelRequest asks to cancel a payment the buyer has not paid.
type CancelRequest struct {
	Payment     *Payment
	OperationID string
}

// Canceler cancels a payment the buyer has not paid yet. Without it a
// prepared payment cannot be cancelled (ErrNotSupported).
type Canceler interface {
	Cancel(ctx context.Context, req *CancelRequest) (*Observation, error)
}

// OperationGate is implemented by a broker that can do a money operation
// only with some of its settings (Dotpay refunds only with the seller API
// credentials). Unable answers, for an operation it has the method for but
// cannot do as configured, what to do instead; "" when it can. The engine
// refuses such an operation as one the broker has no method for
// (ErrNotSupported), before anything is stored or sent.
type OperationGate interface {
	Unable(kind OperationKind) string
}

// OperationRequest asks how one money operation ended at the broker.
type OperationRequest struct {
	Payment   *Payment
	Operation *Operation
	// Fact is the broker's fact the engine asks whether Operation is,
	// when a notification names neither getpaid's operation nor the
	// broker's id of it (Tpay's CHARGEBACK); nil for a plain lookup. A
	// broker that can tell the operation only by the money may answer
	// with it when the money says every such fact is one recorded already.
	Fact *Observation
}

// OperationFetcher looks a money operation up at the broker (PayU's refund
// list, Przelewy24's refunds by order id), so an operation whose answer or
// notification was lost can still be finished. It answers the operation's
// fact as an observation (for a refund: KindRefunded when done,
// KindRefundStarted while pending, KindRefundFailed when refused), or an
// error wrapping ErrNotFound when the broker has no record of it (it never
// happened). Without it the engine relies on StatusFetcher, and on an
// operator for what that cannot tell.
type OperationFetcher interface {
	FetchOperation(ctx context.Context, req *OperationRequest) (*Observation, error)
}

// RefundCounter is implemented by a broker whose refund notifications name
// no refund (Tpay's CHARGEBACK: the transaction and the amount), so that
// two refunds of one amount read alike. For such a notification (a refund
// done, naming no operation and no BrokerRef) the engine asks for the
// event ids of every refund of its amount the broker has done for the
// payment, and applies the notification as the first of them not yet
// applied: as a repeat when each is, under its own event id when there is
// none. A refund is then counted once however often its notification
// comes, and a second refund of the same amount is counted too.
// RefundEventIDs answers, in the broker's order, the ids its refund answers
// and lookups give the refunds of o's amount that are done (not those still
// pending); an error is the broker unreachable (the notification is refused
// and comes again).
type RefundCounter interface {
	RefundEventIDs(ctx context.Context, p *Payment, o *Observation) ([]string, error)
}

// PanelSetting is one value a merchant enters in the broker's panel.
type PanelSetting struct {
	Name  string
	Value string
}

// Configurator lists what to enter in the broker's merchant panel for its
// environment (like django-getpaid's payu_configuration). env is the
// environment the settings are for; it may differ from the one the broker was
// provisioned with (getpaid config --base-url).
type Configurator interface {
	PanelSettings(env Env) []PanelSetting
}

// PageServer is a broker that serves pages of its own from getpaid (the
// dummy paywall). The HTTP layer mounts it at Env.PagesURL.
type PageServer interface {
	Pages() http.Handler
}

// IPAllowlister is a broker that restricts which addresses may send callbacks.
type IPAllowlister interface {
	AllowCallbackFrom(ip string) bool
}

// NotificationSourcer is a broker that publishes the addresses it sends
// notifications from: IsNotificationSource reports whether ip (resolved
// through trusted proxies by the caller; IPv4-mapped is IPv4) is one of
// them, whether or not the backend's allowlist (IPAllowlister) is on. The
// HTTP layer never blocks such an address for refused callbacks: anyone
// with an account at the broker can have its real servers send this
// getpaid notifications signed with another key.
type NotificationSourcer interface {
	IsNotificationSource(ip string) bool
}

// Cautioner is an optional Broker capability: Cautions lists what an
// operator should know about the backend's settings as it starts (a
// development-only backend, a setting that refuses what the broker
// normally sends, one weaker than the broker allows), each a sentence that
// says what to do. engine.New logs each as a warning naming the backend
// (unless its engine delivers nothing: a tool beside a server).
type Cautioner interface {
	Cautions() []string
}

// CallbackSizer states the largest notification body the broker sends, in
// bytes, with room to spare. The HTTP layer refuses a longer callback body
// before reading it, so anyone can post to the callback URL cheaply; without
// it the HTTP layer's default cap applies (an operator may override both).
type CallbackSizer interface {
	MaxCallbackBytes() int64
}
