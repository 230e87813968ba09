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
	// Now is the clock (for tests of polling and expiry); nil means time.Now.
	Now func() time.Time
}

// Engine is the payment service. It is safe for concurrent use.
type Engine struct {
	store   getpaid.Store
	reg     *getpaid.Registry
	base    string
	oneLive bool
	log     *slog.Logger
	now     func() time.Time

	mu     sync.RWMutex
	listen []Listener

	acks     *ackQueue
	closing  sync.Once
	pollWait time.Duration
}

var _ getpaid.Service = (*Engine)(nil)

// New validates cfg, gives every backend its environment (see
// getpaid.Provisioner) and returns an Engine. Call Close when done: it
// flushes delivery records.
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
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if err := cfg.Registry.Provision(context.Background(), base, log); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{
		store: cfg.Store, reg: cfg.Registry, base: base, oneLive: cfg.OneLivePaymentPerOrder,
		log: log, now: now, listen: append([]Listener(nil), cfg.Listeners...), pollWait: 5 * time.Second,
	}
	e.acks = newAckQueue(e.markDelivered, log)
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

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Env returns backend's environment: the URLs its broker was given.
func (e *Engine) Env(backend string) getpaid.Env { return getpaid.NewEnv(backend, e.base, e.log) }

// Close flushes delivery records and stops background work. It does not
// close the store or the brokers (Registry.Close does).
func (e *Engine) Close() error {
	e.closing.Do(func() { e.acks.close() })
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

// Payments lists payments matching f, newest first, a page at a time.
func (e *Engine) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	if _, err := f.PageLimit(); err != nil {
		return nil, fmt.Errorf("engine: list payments: %w", err)
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("engine: list payments: %w", &getpaid.FieldError{Field: "status", Reason: fmt.Sprintf("unknown status %q", f.Status), Err: getpaid.ErrInvalidRequest})
	}
	page, err := e.store.Payments(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: list payments: %w", err)
	}
	return page, nil
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

// isNotFound reports whether err is getpaid.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, getpaid.ErrNotFound) }
