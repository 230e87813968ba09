package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// Config configures an Engine. Store, Registry and BaseURL are required.
// A negative duration or count is refused (ExpireAfter's means never).
type Config struct {
	Store    getpaid.Store
	Registry *getpaid.Registry
	// BaseURL is the absolute URL where the getpaid HTTP handler is mounted
	// ("https://shop.example/payments"; no query, fragment or user, a
	// host brokers can reach (not a listen address such as 0.0.0.0), a
	// port, if any, up to 65535, and written as a URL:
	// "/my%20payments", not "/my payments"); callback and return URLs
	// hang off it.
	BaseURL string
	// OneLivePaymentPerOrder refuses a new payment for an order that already
	// has one that is neither failed nor cancelled. Off by default: a retry
	// after a failure is always allowed, and several attempts may coexist.
	OneLivePaymentPerOrder bool
	// Listeners receive events in-process ("listener:1", "listener:2", ...
	// by their place); more can be added with OnEvent before use.
	Listeners []Listener
	// Consumers receive events too (merchant webhook endpoints).
	Consumers []Consumer
	// RetrySchedule is the wait before each retry of a failed delivery; nil
	// means DefaultSchedule. When it runs out, the delivery is dead.
	RetrySchedule []time.Duration
	// DeliveryTimeout bounds one delivery attempt; 0 means 10 s.
	DeliveryTimeout time.Duration
	// DeliveriesInFlight caps the attempts one consumer has running at
	// once; 0 means DefaultDeliveriesInFlight. Events are delivered in
	// parallel (each payment's in order): the cap must cover the event rate
	// times how long an attempt takes with its bookkeeping, or a backlog
	// builds.
	DeliveriesInFlight int
	// NoDelivery makes an engine that delivers no events itself: events
	// are still written with their deliveries, and Replay still makes
	// deliveries due, for the engine of another process sharing the store
	// (a running server) to deliver. For tools that read or replay the
	// records beside a server.
	NoDelivery bool
	// Reconcile tunes how money operations in doubt are resolved.
	Reconcile ReconcileConfig
	// ExpireAfter is how long after its creation a payment still waiting on
	// its broker expires (see Expire); 0 means 24 h, negative never.
	// ExpireAfterBackend overrides it per backend name (New refuses a name
	// the registry does not have); an entry of 0 or less means never.
	ExpireAfter        time.Duration
	ExpireAfterBackend map[string]time.Duration
	Logger             *slog.Logger
	// Hooks let metrics and tracing watch broker calls and committed
	// changes.
	Hooks Hooks
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
	hooks   Hooks

	mu        sync.RWMutex
	consumers []Consumer
	names     []string
	subs      []getpaid.Subscription
	// added is when each consumer was added: a delivery of a type it
	// does not take written before then is left from an older
	// configuration (see dispatcher.deliver).
	added   map[string]time.Time
	unnamed int // listeners added by OnEvent, which names them by place
	// wroteEvents is set once this engine has written an event: a
	// consumer added after it missed those (AddConsumer warns).
	wroteEvents atomic.Bool

	dispatcher *dispatcher
	closing    sync.Once
	// closedCtx ends (closeRuns) when Close is called, and every Run with
	// it; runs counts the Runs going, which Close waits for. isClosed is
	// set and runs added to under mu, so no Run starts once Close waits.
	closedCtx   context.Context
	closeRuns   context.CancelFunc
	runs        sync.WaitGroup
	isClosed    bool
	reconcile   ReconcileConfig
	expireAfter time.Duration
	expireBy    map[string]time.Duration
	starts      starts
	keyed       keyed // create requests in flight, by idempotency key
	// advances holds an advance's decision (accept or reject) in flight,
	// by payment id: another waits for it, then finds the advance decided.
	advances keyed
	// unrecorded gates the log of broker notifications the store could
	// not record (its database away): once a minute, not once each.
	unrecorded *edge.Gate
	// calls holds the operations whose broker call runs in this engine,
	// until its answer is recorded: neither the reconciler nor an operator
	// takes one for lost meanwhile, however long it takes.
	calls sync.Map // operation id -> struct{}
	// flagsDue is set once Reconcile has made due the operations past
	// FlagAfter whose checks an earlier configuration scheduled later.
	flagsDue atomic.Bool
}

var (
	_ getpaid.Service          = (*Engine)(nil)
	_ getpaid.OperationChecker = (*Engine)(nil)
	_ getpaid.EventBackfiller  = (*Engine)(nil)
	_ getpaid.PauseReporter    = (*Engine)(nil)
)

// New validates cfg, gives every backend its environment (see
// getpaid.Provisioner) and returns an Engine. Engines may share a registry
// only at one BaseURL (its brokers learn one): another is refused. Call
// Close when done: it flushes delivery records.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: Config.Store is required")
	}
	if v := reflect.ValueOf(cfg.Store); v.Kind() == reflect.Pointer && v.IsNil() {
		// A store variable left nil when its Open failed: it would
		// panic at the first call, in a request or in the dispatcher.
		return nil, fmt.Errorf("engine: Config.Store is a nil %T", cfg.Store)
	}
	if cfg.Registry == nil {
		return nil, errors.New("engine: Config.Registry is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	// A host of a port alone ("http://" + a listen address, ":8000") is
	// none: brokers and browsers cannot reach it.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("engine: Config.BaseURL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if n, err := strconv.Atoi(u.Port()); err == nil && n > 65535 {
		// Port 0 and an empty one are left to the caller: getpaid's own
		// tools are given http:// + a listen address on "any free port".
		return nil, fmt.Errorf("engine: Config.BaseURL %q: the port %q: want 1 to 65535 (or none, for the scheme's own)", cfg.BaseURL, u.Port())
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && a.Unmap().IsUnspecified() {
		// A listen address ("0.0.0.0:8000") is every interface, which no
		// broker or browser can be sent to.
		return nil, fmt.Errorf("engine: Config.BaseURL %q: %s is not an address a broker or browser can reach; name this machine", cfg.BaseURL, u.Host)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		// Callback and return URLs append a path to it.
		return nil, fmt.Errorf("engine: Config.BaseURL %q must have no query, fragment or user", cfg.BaseURL)
	}
	if i := strings.IndexFunc(cfg.BaseURL, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"<>\^{|}`+"`", r) }); i >= 0 {
		// Brokers get it as written (a notify URL, a Location header),
		// where a blank or a non-ASCII letter is not a URL.
		fix := fmt.Sprintf("write it %q", u.String())
		if strings.ContainsFunc(u.Host, func(r rune) bool { return r >= 0x7f }) {
			fix = "write its host in ASCII (the xn-- form)"
		}
		return nil, fmt.Errorf("engine: Config.BaseURL %q has %q unescaped: %s", cfg.BaseURL, []rune(cfg.BaseURL[i:])[0], fix)
	}
	if err := checkDurations(cfg); err != nil {
		return nil, err
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
	seen := map[string]bool{}
	for i, l := range cfg.Listeners {
		if l == nil {
			return nil, fmt.Errorf("engine: Config.Listeners[%d] is nil", i)
		}
		seen[ListenerConsumer(fmt.Sprint(i+1), nil).Name()] = true // as OnEvent names them
	}
	for i, c := range cfg.Consumers {
		if isNil(c) {
			return nil, fmt.Errorf("engine: Config.Consumers[%d] is nil", i)
		}
		if nameless(c) {
			return nil, fmt.Errorf("engine: Config.Consumers[%d] has no name (it keys the consumer's deliveries across restarts)", i)
		}
		if seen[c.Name()] {
			return nil, fmt.Errorf("engine: two consumers are called %q: each needs a name of its own (a webhook endpoint is known by its URL)", c.Name())
		}
		seen[c.Name()] = true
	}
	for name := range cfg.ExpireAfterBackend {
		if _, ok := cfg.Registry.Get(name); !ok {
			return nil, fmt.Errorf("engine: Config.ExpireAfterBackend names backend %q, which is not in the registry (%s)", name, strings.Join(cfg.Registry.Names(), ", "))
		}
	}
	if err := cfg.Registry.Provision(context.Background(), base, log); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if !cfg.NoDelivery {
		// What an operator should know of a backend's settings (a dummy
		// whose paywall marks payments paid for free): said by the
		// engine that serves it, in library mode as under getpaid serve.
		for _, b := range cfg.Registry.All() {
			if c, ok := b.Broker.(getpaid.Cautioner); ok {
				for _, msg := range c.Cautions() {
					log.Warn(msg, "backend", b.Name)
				}
			}
		}
	}
	e := &Engine{
		store: cfg.Store, reg: cfg.Registry, base: base, oneLive: cfg.OneLivePaymentPerOrder,
		log: log, now: now, unrecorded: edge.NewGate(time.Minute, now), hooks: cfg.Hooks, reconcile: cfg.Reconcile, expireAfter: cfg.ExpireAfter, expireBy: maps.Clone(cfg.ExpireAfterBackend),
	}
	if e.expireAfter == 0 {
		e.expireAfter = 24 * time.Hour
	}
	// The engine's own copies of the waits New checked: the caller's
	// slices may be reused (another engine's config) after New.
	e.reconcile.Backoff = slices.Clone(cfg.Reconcile.Backoff)
	e.closedCtx, e.closeRuns = context.WithCancel(context.Background())
	for _, l := range cfg.Listeners {
		e.OnEvent(l)
	}
	for _, c := range cfg.Consumers {
		e.AddConsumer(c)
	}
	e.dispatcher = newDispatcher(e, slices.Clone(cfg.RetrySchedule), cfg.DeliveryTimeout, cfg.DeliveriesInFlight)
	if cfg.NoDelivery {
		close(e.dispatcher.stopped) // nothing to stop
	} else {
		e.dispatcher.start()
	}
	return e, nil
}

// checkDurations refuses a negative wait or bound: a mistake (a setting
// parsed with its sign wrong), which would otherwise be taken for the
// default (0) or for no wait at all. ExpireAfter is left alone: negative
// there means never, as documented.
func checkDurations(cfg Config) error {
	for i, d := range cfg.RetrySchedule {
		if d < 0 {
			return fmt.Errorf("engine: Config.RetrySchedule[%d] is %s: a wait is never negative", i, d)
		}
	}
	for i, d := range cfg.Reconcile.Backoff {
		if d < 0 {
			return fmt.Errorf("engine: Config.Reconcile.Backoff[%d] is %s: a wait is never negative", i, d)
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"DeliveryTimeout", cfg.DeliveryTimeout},
		{"Reconcile.FlagAfter", cfg.Reconcile.FlagAfter},
		{"Reconcile.SubmittingAfter", cfg.Reconcile.SubmittingAfter},
	} {
		if f.d < 0 {
			return fmt.Errorf("engine: Config.%s is %s: want a positive duration, or 0 for the default", f.name, f.d)
		}
	}
	if cfg.DeliveriesInFlight < 0 {
		return fmt.Errorf("engine: Config.DeliveriesInFlight is %d: want a positive number, or 0 for the default", cfg.DeliveriesInFlight)
	}
	return nil
}

// Registry returns the engine's registry.
func (e *Engine) Registry() *getpaid.Registry { return e.reg }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Env returns backend's environment: the URLs its broker was given.
func (e *Engine) Env(backend string) getpaid.Env { return getpaid.NewEnv(backend, e.base, e.log) }

// Close stops Run, waiting for every Run to return (a broker call in flight
// is cancelled: an operation it leaves open is resolved by the reconciler of
// the next start), and stops delivering events: deliveries in flight finish
// (each bounded by the delivery timeout) and are recorded; the rest stay
// pending for the next start. Then every consumer with a
// CloseIdleConnections method (a webhook.Endpoint) closes the connections
// it keeps open between deliveries. It does not close the store or the
// brokers (Registry.Close does).
func (e *Engine) Close() error {
	e.closing.Do(func() {
		e.mu.Lock()
		e.isClosed = true
		e.mu.Unlock()
		e.closeRuns()
		e.runs.Wait()
		e.dispatcher.stop()
		e.mu.RLock()
		consumers := slices.Clone(e.consumers)
		e.mu.RUnlock()
		for _, c := range consumers {
			if ic, ok := c.(interface{ CloseIdleConnections() }); ok {
				ic.CloseIdleConnections()
			}
		}
	})
	return nil
}

// mutate runs m on payment id through the store's one mutation path, with
// the engine's consumers as the deliveries of every event it writes, leased
// to the dispatcher, which starts them once the change is committed.
func (e *Engine) mutate(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	m.Deliver = e.subscriptions()
	if len(m.Deliver) > 0 {
		m.Lease = e.dispatcher.lease()
	}
	res, err := e.store.UpdatePayment(ctx, id, m)
	if err == nil {
		e.changed(ctx, res, false)
		e.dispatch(res, m.Lease)
	}
	return res, err
}

// dispatch starts the deliveries a committed change leased to the
// dispatcher, and wakes its claim loop for the others.
func (e *Engine) dispatch(res *getpaid.UpdateResult, lease *getpaid.DeliveryLease) {
	if len(res.Events) > 0 && !e.wroteEvents.Load() {
		e.wroteEvents.Store(true)
	}
	if lease != nil {
		e.dispatcher.take(res.Leased, lease.Until)
	}
	if len(res.Leased) < len(res.Deliveries) {
		e.dispatcher.wake()
	}
}

// create stores a new payment, with the engine's consumers as the deliveries
// of its events.
func (e *Engine) create(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	opts.Deliver = e.subscriptions()
	if len(opts.Deliver) > 0 {
		opts.Lease = e.dispatcher.lease()
	}
	res, err := e.store.CreatePayment(ctx, p, opts)
	if err == nil {
		e.changed(ctx, res, true)
		e.dispatch(res, opts.Lease)
	}
	return res, err
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
		return nil, fmt.Errorf("engine: list payments: %w", unknownStatus(f.Status))
	}
	if f.Currency != "" && !getpaid.KnownCurrency(f.Currency) {
		// No payment is in it (codes are upper case): refused, not an empty page.
		return nil, fmt.Errorf("engine: list payments: %w", &getpaid.FieldError{Field: "currency", Reason: getpaid.UnknownCurrencyReason(f.Currency), Err: getpaid.ErrUnknownCurrency})
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
		reason := fmt.Sprintf("unknown backend %q", name)
		if name == "" {
			reason = "required: the backend to pay through"
		}
		// The enabled ones, so a typo shows its right spelling.
		reason += " (enabled: " + strings.Join(e.reg.Names(), ", ") + ")"
		return getpaid.Backend{}, &getpaid.FieldError{Field: "backend", Reason: reason, Err: getpaid.ErrUnknownBackend}
	}
	return b, nil
}

// isNotFound reports whether err is getpaid.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, getpaid.ErrNotFound) }

// unknownStatus refuses a status filter naming no status, with the ones
// there are (a typo shows its spelling).
func unknownStatus(s getpaid.Status) error {
	names := make([]string, 0, len(getpaid.Statuses()))
	for _, st := range getpaid.Statuses() {
		names = append(names, string(st))
	}
	last := len(names) - 1
	return &getpaid.FieldError{Field: "status", Err: getpaid.ErrInvalidRequest,
		Reason: fmt.Sprintf("unknown status %q: want %s or %s", s, strings.Join(names[:last], ", "), names[last])}
}
