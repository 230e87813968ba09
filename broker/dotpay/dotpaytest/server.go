package dotpaytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/simkit"
)

// Failure modes for SetFailure.
const (
	FailureNone    = simkit.FailureNone    // healthy
	Failure5xx     = simkit.Failure5xx     // the payment form and the seller API answer 503
	FailureTimeout = simkit.FailureTimeout // every request hangs until the client gives up
)

// Config configures the simulated shop and the simulator's timing. Zero
// values get defaults.
type Config struct {
	ShopID string // default "123456"
	PIN    string // default "0123456789abcdefABCDEF0123456789"
	// APIUsername and APIPassword are the seller panel user of the seller
	// API; defaults "seller@example.com" and "seller-password".
	APIUsername, APIPassword string
	// Currencies the shop accepts; default PLN EUR USD GBP JPY CZK SEK UAH RON.
	Currencies []string
	// ShopName and ShopEmail are sent as p_info and p_email.
	ShopName, ShopEmail string
	// Cards makes payments card payments (channel 248): URLCs then carry the
	// credit_card_* fields, which the signature covers.
	Cards bool
	// Exchange converts what the buyer pays, in hundredths of currency,
	// into the currency Dotpay books the operation in (operation_amount and
	// operation_currency); the shop's own amount stays in
	// operation_original_amount/currency. Nil books every payment in its
	// own currency.
	Exchange func(hundredths int64, currency string) (int64, string)
	// RetryDelay is the first pause between URLC attempts; it doubles up to
	// 32 times RetryDelay. Default 1 s (a few ms in tests).
	RetryDelay time.Duration
	// MaxAttempts bounds the deliveries of one URLC. Default 8.
	MaxAttempts int
	// NotifyTimeout bounds one delivery attempt. Default 10 s.
	NotifyTimeout time.Duration
	// HangTimeout bounds how long failure mode "timeout" holds a request.
	// Default 30 s.
	HangTimeout time.Duration
	// SourceIP is the RemoteIP of the URLCs built by Notification and
	// RefundNotification. Default "195.150.9.37", Dotpay's address.
	SourceIP string
	// RefundDelay is how long a refund asked through the seller API stays
	// new before it ends (and its URLC is sent); 0 ends it at once.
	RefundDelay time.Duration
	// SettleAfter, when positive, completes a payment left processing (a
	// transfer booked later) this long after the buyer chose it, as the
	// bank would; 0 leaves it to Settle. A standalone simulator sets it so
	// nothing it accepted stays unfinished.
	SettleAfter time.Duration
	// FirstNumber is the sequence number of the first operation ("M1000-0001"
	// is 1, the default); at most MaxFirstNumber. A simulator started again
	// on a kept getpaid database starts elsewhere, so it never names an
	// operation of an earlier run (getpaid refuses a notification whose
	// broker id is another payment's).
	FirstNumber int
}

// MaxFirstNumber is the largest Config.FirstNumber: numbers run up to
// "M9999-9999".
const MaxFirstNumber = 8999*10000 + 9999

// Delivery is one attempt to deliver a URLC.
type Delivery struct {
	Number  string // the operation's number
	Type    string // "payment", "refund" or "complaint"
	Status  string // the operation status the URLC reports
	URL     string
	Attempt int    // 1-based
	Code    int    // HTTP status answered, 0 on a transport error
	Body    string // the answer's body (at most 64 bytes)
	Err     string // transport error
	At      time.Time
}

// Operation is one operation as the simulator holds it.
type Operation struct {
	Number  string
	Type    string // "payment", "refund" or "complaint"
	Status  string
	Amount  getpaid.Money // what the shop asked for (the original amount)
	Control string
	Related string // for a refund or a complaint: the payment's number
}

// operation is an operation with everything the URLC and the API report.
type operation struct {
	Operation
	hundredths, bookedHundredths int64 // original and booked amounts on the wire
	bookedCurrency               string
	description, email           string
	firstName, lastName          string
	urlc                         string
	created                      time.Time
	refunded                     int64 // completed and pending refunds, in hundredths (payments)
}

// session is a payment form the buyer opened: the accepted parameters.
type session struct {
	params map[string]string
}

// Server is a simulated Dotpay. It is safe for concurrent use.
type Server struct {
	cfg      Config
	host     simkit.Host // where it is served
	mu       sync.Mutex
	sessions map[string]*session
	ops      []*operation
	byNumber map[string]*operation
	seq      int
	rejRef   bool
	life     *simkit.Life // ended by Close: stops deliveries, delayed endings and hung requests
	down     *simkit.Faults
	opFaults *simkit.Faults
	notify   *simkit.Notifier[Delivery]
}

// New returns a simulator; mount Handler and call SetBaseURL, or use Start.
func New(cfg Config) *Server {
	if cfg.FirstNumber <= 0 || cfg.FirstNumber > MaxFirstNumber {
		cfg.FirstNumber = 1
	}
	if cfg.ShopID == "" {
		cfg.ShopID = "123456"
	}
	if cfg.PIN == "" {
		cfg.PIN = "0123456789abcdefABCDEF0123456789"
	}
	if cfg.APIUsername == "" {
		cfg.APIUsername = "seller@example.com"
	}
	if cfg.APIPassword == "" {
		cfg.APIPassword = "seller-password"
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = []string{"PLN", "EUR", "USD", "GBP", "JPY", "CZK", "SEK", "UAH", "RON"}
	}
	if cfg.ShopName == "" {
		cfg.ShopName = "Simulated shop"
	}
	if cfg.ShopEmail == "" {
		cfg.ShopEmail = "shop@example.com"
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.NotifyTimeout <= 0 {
		cfg.NotifyTimeout = 10 * time.Second
	}
	if cfg.HangTimeout <= 0 {
		cfg.HangTimeout = 30 * time.Second
	}
	if cfg.SourceIP == "" {
		cfg.SourceIP = "195.150.9.37"
	}
	life := simkit.NewLife()
	timeout := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusGatewayTimeout, map[string]string{"detail": "Timeout"})
	}
	return &Server{
		cfg: cfg, sessions: map[string]*session{}, byNumber: map[string]*operation{}, life: life, seq: cfg.FirstNumber - 1,
		down: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "Service unavailable"})
		}, timeout),
		opFaults: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "A server error occurred."})
		}, timeout),
		notify: simkit.NewNotifier[Delivery](life, simkit.NotifierConfig{Client: &http.Client{Timeout: cfg.NotifyTimeout},
			Attempts: cfg.MaxAttempts, Pause: simkit.Doubling(cfg.RetryDelay, 32*cfg.RetryDelay), AnswerBytes: 64}),
	}
}

// Start runs a simulator on a local httptest server.
func Start(cfg Config) *Server {
	s := New(cfg)
	s.host.Serve(s.Handler())
	return s
}

// Config returns the simulator's settings, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// SetBaseURL sets the absolute URL the simulator is reachable at: the
// backend's api_url.
func (s *Server) SetBaseURL(u string) { s.host.SetBaseURL(u) }

// URL is the simulator's base URL.
func (s *Server) URL() string { return s.host.URL() }

// Handler serves the payment form (/t2/ and the test environment's
// /test_payment/) and the seller API (/s2/login/api/v1/ and
// /test_seller/api/v1/).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	forms := edge.NewLimiter(edge.LimiterConfig{})
	for _, prefix := range []string{"/t2/", "/test_payment/"} {
		mux.Handle(prefix+"{$}", edge.FormPage(forms, edge.DefaultFormBytes, s.down.Outage(s.form(prefix))))
		mux.Handle("GET "+prefix+"session/{token}", edge.Page(s.down.Outage(s.page)))
		mux.Handle("POST "+prefix+"session/{token}", edge.FormPage(forms, edge.DefaultFormBytes, s.down.Outage(s.choose)))
	}
	for _, prefix := range []string{"/s2/login/api/v1/", "/test_seller/api/v1/"} {
		mux.HandleFunc("GET "+prefix+"accounts/{$}", s.down.Outage(s.api(s.listAccounts)))
		mux.HandleFunc("GET "+prefix+"accounts/{id}/{$}", s.down.Outage(s.api(s.getAccount)))
		mux.HandleFunc("GET "+prefix+"operations/{$}", s.down.Outage(s.api(s.listOperations)))
		mux.HandleFunc("GET "+prefix+"operations/{number}/{$}", s.down.Outage(s.api(s.getOperation)))
		mux.HandleFunc("POST "+prefix+"payments/{number}/refund/{$}", s.down.Outage(s.api(s.opFaults.Operation(s.refund))))
	}
	return mux
}

// Quiet waits until every URLC the simulator started sending was
// acknowledged or given up, and every delayed ending happened (or ctx
// ends).
func (s *Server) Quiet(ctx context.Context) error {
	return s.life.Quiet(ctx, "dotpaytest: URLCs")
}

// Close stops pending URLC retries, delayed endings and hung requests and,
// after Start, the server.
func (s *Server) Close() {
	s.life.Close()
	s.host.Close()
}

// SetFailure makes Dotpay misbehave: "" healthy, "5xx" answer 503,
// "timeout" hold every request until the client gives up.
func (s *Server) SetFailure(mode string) { s.down.Set(mode) }

// SetRefundRejected makes later refunds end rejected instead of completed.
func (s *Server) SetRefundRejected(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejRef = reject
}

// Notifications returns the log of URLC delivery attempts.
func (s *Server) Notifications() []Delivery { return s.notify.Log() }

// Operations returns the operations whose control is control, oldest first.
func (s *Server) Operations(control string) []Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Operation
	for _, op := range s.ops {
		if op.Control == control {
			out = append(out, op.Operation)
		}
	}
	return out
}

// nextNumberLocked allocates an operation number like Dotpay's ("M1000-0001").
func (s *Server) nextNumberLocked() string {
	s.seq++
	return fmt.Sprintf("M%04d-%04d", 1000+s.seq/10000, s.seq%10000)
}

// addLocked records op.
func (s *Server) addLocked(op *operation) {
	s.ops = append(s.ops, op)
	s.byNumber[op.Number] = op
}

// payment is the newest payment operation of control, or nil.
func (s *Server) paymentLocked(control string) *operation {
	for i := len(s.ops) - 1; i >= 0; i-- {
		if op := s.ops[i]; op.Control == control && op.Type == "payment" {
			return op
		}
	}
	return nil
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// laterLocked runs f with s.mu held, d from now, unless the simulator closes
// first.
func (s *Server) laterLocked(d time.Duration, f func()) {
	s.life.After(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		f()
	})
}
