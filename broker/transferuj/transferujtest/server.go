package transferujtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Buyer outcomes for Pay and the payment page.
const (
	OutcomePaid      = "paid"      // pays the whole amount: TRUE
	OutcomePartial   = "partial"   // pays half, accepted under the underpayment threshold: TRUE, tr_paid < tr_amount
	OutcomeUnderpaid = "underpaid" // pays half, not accepted: FALSE, tr_error surcharge (Tpay holds the money)
	OutcomeDeclined  = "declined"  // the bank declined: back to the error URL, no notification (the buyer may try again)
	OutcomeAbandoned = "abandoned" // the buyer closed the page: nothing happens
)

// Config configures the simulated merchant account. Zero values get defaults.
type Config struct {
	MerchantID   int    // default 1010
	SecurityCode string // default "demo"
	// MD5Variant is the request md5sum the account accepts: "joined",
	// "plain", or "" for either.
	MD5Variant string
	Currency   string // the account's currency; default PLN
	// NotifyBackoff is the first pause between notification attempts,
	// doubled up to NotifyMaxBackoff; defaults 50 ms and 2 s.
	NotifyBackoff, NotifyMaxBackoff time.Duration
	NotifyAttempts                  int          // per notification; default 8
	HTTPClient                      *http.Client // sends notifications; default 10 s timeout
	// PKI signs notifications (the JWS in X-JWS-Signature); nil mints one
	// in New.
	PKI *tpaynotify.PKI
	// NoJWS sends notifications as Transferuj did before Tpay added the
	// JWS: signed by their md5sum alone.
	NoJWS bool
}

// CertPath is where the simulator serves its signing certificate (the x5u of
// its notifications), like Tpay's notifications-jws.pem; the root is at
// tpaynotify.RootCertPath. A backend with jws_prefix = URL() trusts them.
const CertPath = "/x509/notifications-jws.pem"

type transaction struct {
	Title, CRC          string
	Amount              getpaid.Money
	Paid, Refunded      int64
	Status              string // pending, paid, error
	Description, Email  string
	ResultURL           string
	ReturnURL, ErrorURL string
	Created             time.Time
}

// Server is a simulated Tpay legacy payment panel. It is safe for concurrent use.
type Server struct {
	cfg     Config
	host    simkit.Host // where it is served
	mu      sync.Mutex
	byTitle map[string]*transaction
	byCRC   map[string]*transaction
	seq     int
	life    *simkit.Life // ended by Close: stops deliveries and hung requests
	down    *simkit.Faults
	sender  *tpaynotify.Sender
	certs   map[string][]byte // path -> PEM
}

// New returns a simulator; mount Handler and call SetBaseURL, or use Start.
// It panics if it cannot mint its certificates (Config.PKI avoids that).
func New(cfg Config) *Server {
	if cfg.MerchantID == 0 {
		cfg.MerchantID = 1010
	}
	if cfg.SecurityCode == "" {
		cfg.SecurityCode = "demo"
	}
	if cfg.Currency == "" {
		cfg.Currency = "PLN"
	}
	if cfg.PKI == nil {
		pki, err := tpaynotify.NewPKI()
		if err != nil {
			panic(fmt.Sprintf("transferujtest: minting certificates: %v", err))
		}
		cfg.PKI = pki
	}
	life := simkit.NewLife()
	return &Server{cfg: cfg, certs: map[string][]byte{tpaynotify.RootCertPath: tpaynotify.PEM(cfg.PKI.Root), CertPath: tpaynotify.PEM(cfg.PKI.Cert)},
		byTitle: map[string]*transaction{}, byCRC: map[string]*transaction{}, life: life,
		down: simkit.NewFaults(life, time.Minute, func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		}, func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
		}),
		sender: tpaynotify.NewSender(life, cfg.NotifyBackoff, cfg.NotifyMaxBackoff, cfg.NotifyAttempts, cfg.HTTPClient)}
}

// Start runs a simulator on a local httptest server.
func Start(cfg Config) *Server {
	s := New(cfg)
	s.host.Serve(s.Handler())
	return s
}

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// SetBaseURL sets the absolute URL the simulator is reachable at.
func (s *Server) SetBaseURL(u string) { s.host.SetBaseURL(u) }

// URL is the simulator's base URL: the backend's api_url and jws_prefix.
func (s *Server) URL() string { return s.host.URL() }

// SetFailure makes the payment panel fail: "" healthy, "5xx" answer 503,
// "timeout" hold requests for a minute (or until Close).
func (s *Server) SetFailure(mode string) { s.down.Set(mode) }

// Quiet waits until every notification was acknowledged or given up.
func (s *Server) Quiet(ctx context.Context) error {
	return s.life.Quiet(ctx, "transferujtest: notifications")
}

// Close stops notification retries and hung requests and, after Start, the
// server.
func (s *Server) Close() {
	s.life.Close()
	s.host.Close()
}

// Notifications returns the notification delivery attempts, oldest first.
func (s *Server) Notifications() []tpaynotify.Delivery { return s.sender.Log() }

// Transaction reports the title and status (pending, paid, error) of the
// latest transaction registered with crc, and whether there is one.
func (s *Server) Transaction(crc string) (title, status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return "", "", false
	}
	return t.Title, t.Status, true
}

// newTitleLocked returns a test transaction title, "TR-ABC-TST12X"; s.mu is held.
func (s *Server) newTitleLocked() string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	s.seq++
	return fmt.Sprintf("TR-%s-TST%dX", b, s.seq)
}
