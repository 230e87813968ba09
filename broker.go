package getpaid

import (
	"context"
	"net/http"
	"net/url"
)

// Broker is the small interface every payment backend implements. Optional
// capabilities (StatusFetcher, Capturer, ...) are separate interfaces found by
// type assertion, the way database/sql/driver grows.
type Broker interface {
	// Currencies lists the ISO 4217 codes the backend accepts.
	Currencies() []string
	// Prepare registers the payment at the broker and says where to send the
	// buyer. It must not change p; the engine records the result.
	Prepare(ctx context.Context, req *PrepareRequest) (*Prepared, error)
	// ParseCallback verifies a notification over its raw bytes (wrapping
	// ErrSignatureInvalid or ErrMalformedCallback when it is not acceptable)
	// and parses it into an observation. It must not change anything.
	ParseCallback(ctx context.Context, req *CallbackRequest) (*Observation, error)
}

// PrepareRequest is what a broker needs to register a payment.
type PrepareRequest struct {
	Payment    *Payment
	NotifyURL  string // absolute URL of getpaid's callback endpoint for this backend
	SuccessURL string // where the broker returns the buyer after paying
	FailureURL string // where the broker returns the buyer after a failure
	ClientIP   string // the buyer's IP, resolved through trusted proxies only
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

// StatusFetcher asks the broker for a payment's current status (pull mode).
type StatusFetcher interface {
	FetchStatus(ctx context.Context, p *Payment) (*Observation, error)
}

// CallbackConfirmer confirms a verified notification with the broker before it
// is applied (Przelewy24's transaction/verify). If it fails, nothing changes
// and the broker is told to retry.
type CallbackConfirmer interface {
	ConfirmCallback(ctx context.Context, p *Payment, o *Observation) error
}

// CallbackResponder gives the acknowledgement body a broker expects ("OK",
// "TRUE", ...). Without it the engine answers an empty 200.
type CallbackResponder interface {
	CallbackAck() (contentType string, body []byte)
}

// Capturer captures funds held by a pre-authorisation, in part or in full.
type Capturer interface {
	Capture(ctx context.Context, p *Payment, amount Money) (*Observation, error)
}

// Releaser releases a pre-authorisation hold.
type Releaser interface {
	Release(ctx context.Context, p *Payment) (*Observation, error)
}

// Refunder refunds captured money, in part or in full. refundID is getpaid's
// idempotency key for this refund.
type Refunder interface {
	Refund(ctx context.Context, p *Payment, amount Money, refundID string) (*Observation, error)
}

// Canceler cancels a payment the buyer has not paid yet.
type Canceler interface {
	Cancel(ctx context.Context, p *Payment) (*Observation, error)
}

// PanelSetting is one value a merchant enters in the broker's panel.
type PanelSetting struct {
	Name  string
	Value string
}

// Configurator lists what to enter in the broker's merchant panel for a
// getpaid reachable at baseURL (like django-getpaid's payu_configuration).
type Configurator interface {
	PanelSettings(baseURL string) []PanelSetting
}

// PageServer is a broker that serves pages of its own from getpaid (the
// dummy broker's paywall). The HTTP layer mounts it at /broker/{name}/.
type PageServer interface {
	Pages() http.Handler
}

// IPAllowlister is a broker that restricts which addresses may send callbacks.
type IPAllowlister interface {
	AllowCallbackFrom(ip string) bool
}
