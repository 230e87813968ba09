package payutest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid/internal/simkit"
)

// Failure modes for SetFailure.
const (
	FailureNone    = simkit.FailureNone    // healthy
	Failure5xx     = simkit.Failure5xx     // every API call answers 500 or 503
	FailureTimeout = simkit.FailureTimeout // every API call hangs until the client gives up
)

// Buyer outcomes for Pay and the payment page.
const (
	OutcomePaid      = "paid"      // COMPLETED (WAITING_FOR_CONFIRMATION when the order asked for pre-authorisation)
	OutcomePreAuth   = "pre_auth"  // WAITING_FOR_CONFIRMATION
	OutcomeDeclined  = "declined"  // CANCELED
	OutcomeAbandoned = "abandoned" // nothing until Expire
	OutcomePending   = "pending"   // PENDING only: a delayed settlement, ended with Settle
)

// Config configures the simulated POS. Zero values get defaults.
type Config struct {
	PosID        string // default "300746" (PayU's public sandbox POS)
	SecondKey    string // default "b6ca15b0d1020e8094d9b5f8d163db54"
	ClientID     string // default PosID
	ClientSecret string // default "2ee86a66e5d97e3fadc400c9f19b065d"
	Algorithm    string // notification signature: "MD5" (default, as PayU signs), "SHA-1", "SHA-256", "SHA-384", "SHA-512" (or without the dash); New panics on another

	// TokenTTL is the OAuth expires_in; default 43199 s like PayU.
	TokenTTL time.Duration
	// PreAuth makes "paid" stop at WAITING_FOR_CONFIRMATION for every order,
	// like a POS with auto-receive off.
	PreAuth bool
	// NotifyBackoff is the delay before the first notification retry, doubled
	// each time up to NotifyMaxBackoff; defaults 50 ms and 2 s. Not used
	// with RetryUnit.
	NotifyBackoff, NotifyMaxBackoff time.Duration
	// RetryUnit, when set, makes notifications follow PayU's documented
	// schedule (RetrySchedule) instead, RetryUnit standing for its minute:
	// time.Minute is PayU's own timing, a second or less a fast one.
	RetryUnit time.Duration
	// NotifyAttempts bounds delivery attempts per notification; default 8,
	// or with RetryUnit the 20 of PayU's schedule.
	NotifyAttempts int
	// SkipPending leaves out the PENDING notification PayU sends before the outcome.
	SkipPending bool
	// AutoSettleRefunds finalizes refunds this long after creation; 0 leaves
	// them PENDING until SettleRefund.
	AutoSettleRefunds time.Duration
	// RefundListArray answers GET .../refunds with a bare JSON array, the
	// shape of PayU's OpenAPI, instead of {"refunds": [...]}, the shape of
	// PayU's documentation.
	RefundListArray bool
	// HTTPClient sends notifications; default a client with a 10 s timeout.
	HTTPClient *http.Client
}

// RetrySchedule is when PayU sends a notification that was not received
// again, in minutes after its first attempt: 1, 2, 5, 10 and 30 minutes,
// then 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60 and 72 hours (PayU's
// "Payment Lifecycle" page, developers.payu.com/europe/docs/payment-flows/lifecycle:
// 20 attempts, the first at once). It is a function returning a fresh slice:
// no package can change the schedule every simulator follows.
func RetrySchedule() []int {
	return []int{1, 2, 5, 10, 30, 60, 120, 180, 360, 540, 720, 900, 1080, 1260, 1440, 2160, 2880, 3600, 4320}
}

// retryPauses turns RetrySchedule's times into the pauses between attempts.
func retryPauses() []int {
	times := RetrySchedule()
	pauses := make([]int, len(times))
	prev := 0
	for i, at := range times {
		pauses[i], prev = at-prev, at
	}
	return pauses
}

// Delivery is one notification delivery attempt.
type Delivery struct {
	OrderID    string
	Status     string // order status, or "refund <status>"
	URL        string
	Attempt    int
	StatusCode int    // 0 when the request failed
	Err        string // transport error, if any
	At         time.Time
}

// Server is a PayU simulator. Create it with New or Start.
type Server struct {
	cfg  Config
	host simkit.Host // where it is served

	mu         sync.Mutex
	tokens     map[string]time.Time
	tokenCount int
	orders     map[string]*order
	byExt      map[string]string // extOrderId -> orderId
	seq        int

	life   *simkit.Life // ended by Close: stops deliveries and hung requests
	down   *simkit.Faults
	ops    *simkit.Faults
	notify *simkit.Notifier[Delivery]
}

// New returns a simulator; call SetBaseURL with the address it is served at
// (Start does both).
func New(cfg Config) *Server {
	if cfg.PosID == "" {
		cfg.PosID = "300746"
	}
	if cfg.SecondKey == "" {
		cfg.SecondKey = "b6ca15b0d1020e8094d9b5f8d163db54"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.PosID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "2ee86a66e5d97e3fadc400c9f19b065d"
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "MD5"
	}
	if digests[strings.ToUpper(cfg.Algorithm)] == nil {
		panic(fmt.Sprintf("payutest: Algorithm %q is none PayU signs with (MD5, SHA-1, SHA-256, SHA-384, SHA-512)", cfg.Algorithm))
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 43199 * time.Second
	}
	if cfg.NotifyBackoff <= 0 {
		cfg.NotifyBackoff = 50 * time.Millisecond
	}
	if cfg.NotifyMaxBackoff <= 0 {
		cfg.NotifyMaxBackoff = 2 * time.Second
	}
	pause := simkit.Doubling(cfg.NotifyBackoff, cfg.NotifyMaxBackoff)
	switch {
	case cfg.RetryUnit > 0:
		pause = simkit.Schedule(cfg.RetryUnit, retryPauses())
		if cfg.NotifyAttempts <= 0 {
			cfg.NotifyAttempts = len(RetrySchedule()) + 1
		}
	case cfg.NotifyAttempts <= 0:
		cfg.NotifyAttempts = 8
	}
	life := simkit.NewLife()
	return &Server{
		cfg: cfg, tokens: map[string]time.Time{}, orders: map[string]*order{}, byExt: map[string]string{},
		life: life, down: simkit.NewFaults(life, 0, outage, late), ops: simkit.NewFaults(life, 0, operationFailed, late),
		notify: simkit.NewNotifier[Delivery](life, simkit.NotifierConfig{Client: cfg.HTTPClient, Attempts: cfg.NotifyAttempts,
			Pause: pause}),
	}
}

// Start serves a new simulator on a local httptest.Server.
func Start(cfg Config) *Server {
	s := New(cfg)
	s.host.Serve(s.Handler())
	return s
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// SetBaseURL sets the public address the simulator is reachable at; it is
// used in redirectUri.
func (s *Server) SetBaseURL(u string) { s.host.SetBaseURL(u) }

// URL is the base URL (the api_url to configure the backend with).
func (s *Server) URL() string { return s.host.URL() }

// Quiet waits until every notification the simulator started sending was
// acknowledged or given up, and every refund set to settle by itself
// settled (or ctx ends).
func (s *Server) Quiet(ctx context.Context) error {
	return s.life.Quiet(ctx, "payutest: notifications")
}

// Close stops pending deliveries and hung requests and waits for them to
// end, then closes the httptest.Server if Start made one.
func (s *Server) Close() {
	s.life.Close()
	s.host.Close()
}

// SetFailure switches the API's failure mode: "" healthy, "5xx", "timeout".
// The buyer's page and notifications are not affected.
func (s *Server) SetFailure(mode string) { s.down.Set(mode) }

// TokenRequests counts successful OAuth token grants.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// RevokeTokens forgets every issued token, so the next API call gets 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// Notifications returns the delivery attempts so far, oldest first.
func (s *Server) Notifications() []Delivery { return s.notify.Log() }

// Order reports an order's PayU status.
func (s *Server) Order(orderID string) (status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return "", false
	}
	return o.Status, true
}

// OrderByExtID returns the orderId of the order with extOrderId ext.
func (s *Server) OrderByExtID(ext string) (orderID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byExt[ext]
	return id, ok
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newToken returns a uuid-shaped random token.
func newToken() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// newOrderID returns a 27-character id shaped like PayU's (WZGF5FFDRJ140731GUEST000P01).
func newOrderID(now time.Time) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b) + now.UTC().Format("060102") + "GUEST000P01"
}

// nextRefundID returns a PayU-like numeric refund id; s.mu must be held.
func (s *Server) nextRefundID() string {
	s.seq++
	return fmt.Sprintf("5%09d", s.seq)
}
