package p24test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid/internal/simkit"
)

// Config configures the simulated merchant account and the simulator's timing.
type Config struct {
	MerchantID int
	PosID      int // defaults to MerchantID
	CRC        string
	APIKey     string
	// RetryUnit scales Przelewy24's notification schedule: after the first
	// attempt, further ones follow pauses of 3, 5, 15, 30, 60, 150 and 450
	// units (the documented minutes). Default time.Minute, as Przelewy24;
	// a millisecond or so in tests.
	RetryUnit time.Duration
	// MaxAttempts bounds the deliveries of one notification: at most 8, the
	// first and the seven of the schedule (the default).
	MaxAttempts int
	// RefundDelay is how long a refund stays pending (lookup status 2)
	// before it completes (or is rejected, after SetRefundRejected) and its
	// notification is sent. 0 finishes it while answering the request.
	RefundDelay time.Duration
	// NotifyTimeout bounds one delivery attempt. Default 10 s.
	NotifyTimeout time.Duration
	// HangTimeout bounds how long failure mode "timeout" holds a request. Default 30 s.
	HangTimeout time.Duration
	// SourceIP is the RemoteIP of notifications built by Notification.
	// Default "5.252.202.254", a Przelewy24 address.
	SourceIP string
	// FirstOrderID is the orderId of the first transaction registered; the
	// next ones follow it. Default 300000001. A simulator whose merchant's
	// database outlives it (getpaid simulate, the demo) should start each
	// run where no earlier run's orderIds are: getpaid refuses a
	// notification naming another payment's orderId.
	FirstOrderID int64
}

// Delivery is one attempt to deliver a notification to a urlStatus.
type Delivery struct {
	Kind      string // "transaction" or "refund"
	SessionID string
	URL       string
	Attempt   int    // 1-based
	Status    int    // HTTP status answered, 0 on a transport error
	Err       string // transport error
	Body      []byte
	At        time.Time
}

// RetrySchedule is Przelewy24's documented notification schedule: after the
// first attempt, a transaction notification is sent again after these many
// minutes (read as the pauses between attempts) until the merchant verifies
// the transaction. Config.RetryUnit scales it. It is a function returning a
// fresh slice: no package can change the schedule every simulator follows.
func RetrySchedule() []int { return []int{3, 5, 15, 30, 60, 150, 450} }

// Transaction statuses as the lookup reports them.
const (
	StatusNoPayment = 0 // registered, not paid
	StatusAdvance   = 1 // paid, not verified by the merchant
	StatusVerified  = 2 // paid and verified
	StatusReturned  = 3 // refunded in full
)

type transaction struct {
	Token, SessionID         string
	OrderID                  int64
	Amount, Paid             int64 // registered, paid
	Refunded                 int64 // completed refunds plus pending ones
	Currency, Description    string
	Email, Client, URLReturn string
	URLStatus                string
	MethodID                 int64
	Statement                string
	Status                   int
	Registered               time.Time
	PaidAt                   time.Time
	verified                 chan struct{} // closed by the first successful verify
}

type refund struct {
	RequestID, UUID string
	OrderID, Amount int64
	Description     string
	Status          int // lookup: 1 completed, 2 pending, 4 rejected
	Date            time.Time
}

// Server is a simulated Przelewy24. It is safe for concurrent use.
type Server struct {
	cfg     Config
	host    simkit.Host // where it is served
	mu      sync.Mutex
	byToken map[string]*transaction
	bySess  map[string]*transaction
	byOrder map[int64]*transaction
	refunds []*refund
	nextID  int64
	verFail bool
	rejRef  bool
	life    *simkit.Life // ended by Close: stops deliveries, delayed refunds and hung requests
	down    *simkit.Faults
	ops     *simkit.Faults // transaction/refund
	vops    *simkit.Faults // transaction/verify
	notify  *simkit.Notifier[Delivery]
}

// New returns a simulator; mount Handler and call SetBaseURL, or use Start.
func New(cfg Config) *Server {
	if cfg.PosID == 0 {
		cfg.PosID = cfg.MerchantID
	}
	if cfg.RetryUnit <= 0 {
		cfg.RetryUnit = time.Minute
	}
	if cfg.MaxAttempts <= 0 || cfg.MaxAttempts > len(RetrySchedule())+1 {
		cfg.MaxAttempts = len(RetrySchedule()) + 1
	}
	if cfg.NotifyTimeout <= 0 {
		cfg.NotifyTimeout = 10 * time.Second
	}
	if cfg.HangTimeout <= 0 {
		cfg.HangTimeout = 30 * time.Second
	}
	if cfg.SourceIP == "" {
		cfg.SourceIP = "5.252.202.254"
	}
	if cfg.FirstOrderID <= 0 {
		cfg.FirstOrderID = 300000001
	}
	life := simkit.NewLife()
	timeout := func(w http.ResponseWriter, _ *http.Request) { apiError(w, http.StatusGatewayTimeout, "Timeout") }
	return &Server{
		cfg: cfg, byToken: map[string]*transaction{}, bySess: map[string]*transaction{},
		byOrder: map[int64]*transaction{}, nextID: cfg.FirstOrderID, life: life,
		down: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			apiError(w, http.StatusServiceUnavailable, "Service unavailable")
		}, timeout),
		ops: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			apiError(w, http.StatusInternalServerError, "Unknown error")
		}, timeout),
		vops: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			apiError(w, http.StatusInternalServerError, "Unknown error")
		}, timeout),
		notify: simkit.NewNotifier[Delivery](life, simkit.NotifierConfig{Client: &http.Client{Timeout: cfg.NotifyTimeout},
			Attempts: cfg.MaxAttempts, Pause: simkit.Schedule(cfg.RetryUnit, RetrySchedule())}),
	}
}

// Start runs a simulator on a local httptest server.
func Start(cfg Config) *Server {
	s := New(cfg)
	s.host.Serve(s.Handler())
	return s
}

// SetBaseURL sets the absolute URL the simulator is reachable at (used in
// the buyer's links).
func (s *Server) SetBaseURL(u string) { s.host.SetBaseURL(u) }

// URL is the simulator's base URL: the backend's api_url.
func (s *Server) URL() string { return s.host.URL() }

// Quiet waits until every notification the simulator started sending was
// acknowledged or given up, and every delayed refund ended (or ctx ends).
func (s *Server) Quiet(ctx context.Context) error {
	return s.life.Quiet(ctx, "p24test: notifications")
}

// Close stops pending notification retries, delayed refunds and hung
// requests and, after Start, the server.
func (s *Server) Close() {
	s.life.Close()
	s.host.Close()
}

// SetFailure makes the API misbehave: "" healthy, "5xx" answer 503, "timeout"
// hold every API request until the client gives up (at most HangTimeout).
func (s *Server) SetFailure(mode string) { s.down.Set(mode) }

// SetVerifyFailure makes transaction/verify answer an error.
func (s *Server) SetVerifyFailure(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verFail = fail
}

// SetRefundRejected makes later refunds end rejected (refund notification
// status 1) instead of completed (status 0).
func (s *Server) SetRefundRejected(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejRef = reject
}

// Notifications returns the log of notification delivery attempts.
func (s *Server) Notifications() []Delivery { return s.notify.Log() }

// Status reports the lookup status (0-3) of the transaction registered under
// sessionID, and whether there is one.
func (s *Server) Status(sessionID string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bySess[sessionID]
	if !ok {
		return 0, false
	}
	return t.Status, true
}

// Verified reports whether the merchant verified the transaction.
func (s *Server) Verified(sessionID string) bool {
	st, ok := s.Status(sessionID)
	return ok && st >= StatusVerified
}

// OrderID reports Przelewy24's orderId for a session id (0 if unknown).
func (s *Server) OrderID(sessionID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.bySess[sessionID]; ok {
		return t.OrderID
	}
	return 0
}

func (s *Server) now() time.Time { return time.Now() }

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))[:32]
}
