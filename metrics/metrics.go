package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/getpaid-go/getpaid"
)

// Config configures Metrics.
type Config struct {
	// Backends are the configured backends' names: the only values of the
	// backend label besides "other".
	Backends []string
	// Backlog, if set, is asked at each scrape for the outbox's pending
	// deliveries.
	Backlog getpaid.BacklogReporter
	// Logger gets scrape failures; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoProcess leaves out the Go runtime and process collectors (tests).
	NoProcess bool
}

// Metrics holds getpaid's series in its own registry.
type Metrics struct {
	reg   *prometheus.Registry
	known map[string]bool

	callbacks   *prometheus.CounterVec
	seconds     *prometheus.CounterVec
	created     *prometheus.CounterVec
	transitions *prometheus.CounterVec
	brokerTime  *prometheus.HistogramVec
	brokerErrs  *prometheus.CounterVec
	commitTime  prometheus.Histogram
	commitSize  prometheus.Histogram
	commitFails prometheus.Counter
	clockOnce   sync.Once
	clockOffset prometheus.Gauge

	log *slog.Logger
	now func() time.Time
}

// outcomes are the callbacks' accepted outcomes.
var outcomes = []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate, getpaid.OutcomeNoChange,
	getpaid.OutcomeUnknown, getpaid.OutcomeSecondTransaction}

// other is the backend label of callbacks naming no configured backend.
const other = "other"

// New registers every series in a new registry.
func New(cfg Config) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), known: map[string]bool{}}
	for _, b := range cfg.Backends {
		m.known[b] = true
	}
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "getpaid_callbacks_total",
		Help: "Broker notifications received, by backend and outcome (applied, duplicate, no_change, unknown, second_transaction) or refusal code."},
		[]string{"backend", "outcome"})
	m.seconds = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "getpaid_second_transactions_total",
		Help: "Broker transactions recorded as second transactions of a payment (a buyer who paid twice: money at the broker that no payment counts), by backend; each counted once."},
		[]string{"backend"})
	m.created = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "getpaid_payments_created_total",
		Help: "Payments created, by backend."}, []string{"backend"})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "getpaid_status_transitions_total",
		Help: "Payment status changes, by backend and the status moved to."}, []string{"backend", "to"})
	m.brokerTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "getpaid_broker_request_duration_seconds",
		Help:    "Time taken by calls to brokers, by backend and operation.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"backend", "operation"})
	m.brokerErrs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "getpaid_broker_request_errors_total",
		Help: "Calls to brokers that failed, by backend and operation."}, []string{"backend", "operation"})
	m.commitTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "getpaid_store_commit_duration_seconds",
		Help: "Time taken by store transactions (SQLite: one group-commit batch, BEGIN to COMMIT).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 13)})
	m.commitSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "getpaid_store_commit_writes",
		Help: "Writes per store transaction (SQLite's group commit batch size).", Buckets: prometheus.ExponentialBuckets(1, 2, 10)})
	m.commitFails = prometheus.NewCounter(prometheus.CounterOpts{Name: "getpaid_store_commit_failures_total",
		Help: "Store transactions rolled back, or whose flush to disk failed."})
	// Each accepted outcome of each backend, and its second transactions,
	// are there from the start, at 0: a counter series that first appears
	// at 1 has no earlier sample, so increase() and rate() miss that first
	// count (README's alert on second transactions would never fire for a
	// process's first one).
	for _, b := range cfg.Backends {
		for _, o := range outcomes {
			m.callbacks.WithLabelValues(b, string(o))
		}
		m.seconds.WithLabelValues(b)
	}
	m.reg.MustRegister(m.callbacks, m.seconds, m.created, m.transitions, m.brokerTime, m.brokerErrs, m.commitTime, m.commitSize, m.commitFails)
	m.log, m.now = cfg.Logger, cfg.Now
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if cfg.Backlog != nil {
		m.WatchBacklog(cfg.Backlog)
	}
	if !cfg.NoProcess {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// WatchBacklog adds the outbox backlog gauges, read from src at each
// scrape (for a store opened after New). Call it once.
func (m *Metrics) WatchBacklog(src getpaid.BacklogReporter) {
	m.reg.MustRegister(&backlogCollector{src: src, log: m.log, now: m.now})
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry the series are in (to add an application's own).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) backend(name string) string {
	if m.known[name] {
		return name
	}
	return other
}

// ObserveCallback counts one callback; it has the signature of the HTTP
// layer's callback hook.
func (m *Metrics) ObserveCallback(_ context.Context, r getpaid.CallbackReport) {
	label := r.Label()
	if label == "" {
		label = "error"
	}
	m.callbacks.WithLabelValues(m.backend(r.Backend), label).Inc()
}

// BrokerCall times one call to a broker (the engine's BrokerCall hook).
func (m *Metrics) BrokerCall(ctx context.Context, backend, op string) (context.Context, func(error)) {
	start := time.Now()
	b := m.backend(backend)
	return ctx, func(err error) {
		m.brokerTime.WithLabelValues(b, op).Observe(time.Since(start).Seconds())
		// A notification refused is the sender's error, not the broker
		// failing: getpaid_callbacks_total counts it by its reason.
		// Nor is a lookup the broker answers "not found" (fetch_status,
		// fetch_operation, refund_event_ids): how a refund never made is
		// found out.
		lookup := op == "fetch_status" || op == "fetch_operation" || op == "refund_event_ids"
		if err != nil && op != "parse_callback" && !(lookup && errors.Is(err, getpaid.ErrNotFound)) {
			m.brokerErrs.WithLabelValues(b, op).Inc()
		}
	}
}

// Changed counts a committed change (the engine's Changed hook): a new
// payment, and a status transition.
func (m *Metrics) Changed(_ context.Context, res *getpaid.UpdateResult, created bool) {
	b := m.backend(res.Payment.Backend)
	if created {
		m.created.WithLabelValues(b).Inc()
	}
	if res.Transition != nil {
		m.transitions.WithLabelValues(b, string(res.Transition.To)).Inc()
	}
}

// SecondTransaction counts a broker transaction recorded as a second
// transaction of a payment (the engine's SecondTransaction hook, called
// once per transaction, whether a notification, a poll or the capture
// clearing its advance showed it).
func (m *Metrics) SecondTransaction(_ context.Context, backend, _, _ string) {
	m.seconds.WithLabelValues(m.backend(backend)).Inc()
}

// ObserveCommit records one store transaction: how many writes it carried,
// how long it took and whether it failed.
func (m *Metrics) ObserveCommit(writes int, d time.Duration, failed bool) {
	m.commitTime.Observe(d.Seconds())
	m.commitSize.Observe(float64(writes))
	if failed {
		m.commitFails.Inc()
	}
}

// ObserveClockOffset sets getpaid_clock_offset_seconds: this process's
// clock less the database server's (health.ClockWatch's Observe). The
// series appears at the first measurement: a store that shares the
// process's clock (SQLite) has none.
func (m *Metrics) ObserveClockOffset(offset time.Duration) {
	m.clockOnce.Do(func() {
		m.clockOffset = prometheus.NewGauge(prometheus.GaugeOpts{Name: "getpaid_clock_offset_seconds",
			Help: "This instance's clock less the database server's (positive: ahead), measured every minute at the middle of a query's round trip; PostgreSQL only."})
		m.reg.MustRegister(m.clockOffset)
	})
	m.clockOffset.Set(offset.Seconds())
}

// backlogCollector asks the store for the outbox backlog and the money
// operations waiting for an operator at each scrape.
type backlogCollector struct {
	src getpaid.BacklogReporter
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	failed   int       // scrapes whose read failed since the last logged return (or the start)
	loggedAt time.Time // when the last failure was logged; zero when none is outstanding
}

// backlogLogEvery is how often, at most, a backlog read that keeps failing
// is logged: scrapes come every few seconds from each Prometheus, and a
// line each would bury the rest of the log (the readiness probe says the
// database is away, once a minute too).
const backlogLogEvery = time.Minute

// note logs a failed read at most once a minute, with how many scrapes
// failed, and the first read that works after a logged failure.
func (c *backlogCollector) note(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if err == nil {
		if !c.loggedAt.IsZero() {
			c.log.Info("metrics: outbox backlog readable again", "failed_scrapes", c.failed)
		}
		c.failed, c.loggedAt = 0, time.Time{}
		return
	}
	c.failed++
	if c.loggedAt.IsZero() || now.Sub(c.loggedAt) >= backlogLogEvery {
		c.log.Warn("metrics: outbox backlog", "err", err, "failed_scrapes", c.failed)
		c.loggedAt = now
	}
}

var (
	pendingDesc = prometheus.NewDesc("getpaid_outbox_pending_deliveries",
		"Event deliveries (to listeners and webhooks) not yet acknowledged, nor dead or discarded.", nil, nil)
	oldestDesc = prometheus.NewDesc("getpaid_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending event delivery; 0 when none is pending.", nil, nil)
	deadDesc = prometheus.NewDesc("getpaid_outbox_dead_deliveries",
		"Event deliveries whose retries ran out (dead letters), until they are replayed or discarded.", nil, nil)
	inDoubtDesc = prometheus.NewDesc("getpaid_operations_in_doubt",
		"Money operations in state unknown: the broker's answer was lost, and the reconciler keeps asking.", nil, nil)
	flaggedDesc = prometheus.NewDesc("getpaid_operations_flagged",
		"Money operations flagged for an operator's decision: not settled within flag_operations_after, or settled by an operator's resolution the broker contradicted since, until acknowledged.", nil, nil)
)

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- oldestDesc
	ch <- deadDesc
	ch <- inDoubtDesc
	ch <- flaggedDesc
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.src.Backlog(ctx)
	c.note(err)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingDesc, err)
		return
	}
	age := 0.0
	if !b.Oldest.IsZero() {
		age = max(c.now().Sub(b.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(b.Dead))
	ch <- prometheus.MustNewConstMetric(inDoubtDesc, prometheus.GaugeValue, float64(b.InDoubt))
	ch <- prometheus.MustNewConstMetric(flaggedDesc, prometheus.GaugeValue, float64(b.Flagged))
}
