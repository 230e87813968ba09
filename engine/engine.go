package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Listener receives outbox events after the transaction that wrote them
// commits. Delivery is at least once: dedupe by Event.ID. An error leaves the
// event pending; it is delivered again by Redeliver.
type Listener func(ctx context.Context, ev getpaid.Event) error

// Config configures an Engine. Store, Registry and BaseURL are required.
type Config struct {
	Store    getpaid.Store
	Registry *getpaid.Registry
	// BaseURL is the absolute URL where the getpaid HTTP handler is mounted
	// ("https://shop.example/payments"); callback and return URLs hang off it.
	BaseURL string
	// OneLivePaymentPerOrder refuses a new payment for an order that already
	// has one that is neither failed nor cancelled. Off by default: a retry
	// after a failure is always allowed, and several attempts may coexist.
	OneLivePaymentPerOrder bool
	// Listeners receive events; more can be added with OnEvent before use.
	Listeners []Listener
	Logger    *slog.Logger
}

// Engine is the payment service. It is safe for concurrent use.
type Engine struct {
	store     getpaid.Store
	reg       *getpaid.Registry
	base      string
	oneLive   bool
	log       *slog.Logger
	mu        sync.RWMutex
	listen    []Listener
	acks      chan string
	ackMu     sync.RWMutex // guards ackClosed against sends racing Close
	ackClosed bool
	ackDone   chan struct{}
	closing   sync.Once
	pollWait  time.Duration
}

// New validates cfg and returns an Engine. Call Close when done: it flushes
// delivery records.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: Config.Store is required")
	}
	if cfg.Registry == nil {
		return nil, errors.New("engine: Config.Registry is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("engine: Config.BaseURL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{
		store: cfg.Store, reg: cfg.Registry, base: strings.TrimRight(cfg.BaseURL, "/"),
		oneLive: cfg.OneLivePaymentPerOrder, log: log, listen: append([]Listener(nil), cfg.Listeners...),
		acks: make(chan string, 4096), ackDone: make(chan struct{}), pollWait: 5 * time.Second,
	}
	go e.ackLoop()
	return e, nil
}

// OnEvent adds a listener. Add listeners before serving traffic.
func (e *Engine) OnEvent(l Listener) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listen = append(e.listen, l)
}

// Registry returns the engine's registry.
func (e *Engine) Registry() *getpaid.Registry { return e.reg }

// Store returns the engine's store.
func (e *Engine) Store() getpaid.Store { return e.store }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// CallbackURL is where backend's broker sends notifications.
func (e *Engine) CallbackURL(backend string) string {
	return e.base + "/callback/" + url.PathEscape(backend)
}

// SuccessURL is where a broker returns the buyer after paying.
func (e *Engine) SuccessURL(id string) string { return e.base + "/success/" + url.PathEscape(id) }

// FailureURL is where a broker returns the buyer after a failure.
func (e *Engine) FailureURL(id string) string { return e.base + "/failure/" + url.PathEscape(id) }

// Close flushes delivery records and stops background work. It does not close the store.
func (e *Engine) Close() error {
	e.closing.Do(func() {
		e.ackMu.Lock()
		e.ackClosed = true
		close(e.acks)
		e.ackMu.Unlock()
		<-e.ackDone
	})
	return nil
}

// Payment loads a payment.
func (e *Engine) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: payment %q: %w", id, err)
	}
	return p, nil
}

// History lists a payment's status transitions.
func (e *Engine) History(ctx context.Context, id string) ([]getpaid.Transition, error) {
	h, err := e.store.History(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: history %q: %w", id, err)
	}
	return h, nil
}

// Backends lists the backends accepting currency (all when empty).
func (e *Engine) Backends(currency string) []getpaid.Backend { return e.reg.ForCurrency(currency) }

func (e *Engine) backend(name string) (getpaid.Backend, error) {
	b, ok := e.reg.Get(name)
	if !ok {
		return getpaid.Backend{}, &getpaid.FieldError{Field: "backend", Reason: fmt.Sprintf("unknown backend %q", name), Err: getpaid.ErrUnknownBackend}
	}
	return b, nil
}
