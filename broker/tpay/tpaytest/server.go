package tpaytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Failure modes for SetFailure.
const (
	FailureNone    = simkit.FailureNone    // healthy
	Failure5xx     = simkit.Failure5xx     // every API call answers 503
	FailureTimeout = simkit.FailureTimeout // every API call hangs until the client gives up
)

// Buyer outcomes for Pay and the payment page.
const (
	OutcomePaid      = "paid"      // pays the whole amount: status correct, TRUE
	OutcomePartial   = "partial"   // pays half, accepted under the underpayment threshold: correct, TRUE with tr_paid < tr_amount
	OutcomeUnderpaid = "underpaid" // pays half, not accepted: status error, FALSE surcharge (Tpay holds the money)
	OutcomeDeclined  = "declined"  // the bank declined: back to the error URL, no notification, still pending
	OutcomeAbandoned = "abandoned" // the buyer closed the page: nothing happens
)

// CertPath is where the simulator serves its signing certificate (the x5u of
// its notifications), like Tpay's notifications-jws.pem.
const CertPath = "/x509/notifications-jws.pem"

// Config configures the simulated merchant account. Zero values get defaults.
type Config struct {
	ClientID     string // default "01HSIMULATOR-demo"
	ClientSecret string // default "demo-secret"
	MerchantID   int    // default 1010
	SecurityCode string // default "demo"
	Currency     string // the account's currency; default PLN
	// TokenTTL is the OAuth expires_in; default 7200 s like Tpay.
	TokenTTL time.Duration
	// PKI signs notifications; nil mints one in New.
	PKI *PKI
	// NotifyBackoff is the first pause between notification attempts,
	// doubled up to NotifyMaxBackoff; defaults 50 ms and 2 s.
	NotifyBackoff, NotifyMaxBackoff time.Duration
	NotifyAttempts                  int          // per notification; default 8
	HTTPClient                      *http.Client // sends notifications; default 10 s timeout
	// HangTimeout bounds how long failure mode "timeout" holds a request; default 30 s.
	HangTimeout time.Duration
}

type refundRec struct {
	ID     string
	Amount int64
	Status string
	Date   time.Time
}

type transaction struct {
	ID, Title, Status, CRC string
	Amount                 getpaid.Money
	Paid                   int64
	Description, Lang      string
	Email, Name            string
	SuccessURL, ErrorURL   string
	NotifyURL              string
	Created, Realized      time.Time
	Refunds                []*refundRec
}

func (t *transaction) refunded() int64 {
	n := int64(0)
	for _, r := range t.Refunds {
		n += r.Amount
	}
	return n
}

// Server is a simulated Tpay OpenAPI. It is safe for concurrent use.
type Server struct {
	cfg  Config
	host simkit.Host // where it is served

	mu         sync.Mutex
	tokens     map[string]time.Time
	tokenCount int
	byID       map[string]*transaction
	byCRC      map[string]*transaction
	certs      map[string][]byte // path -> PEM
	key        *rsa.PrivateKey   // signs notifications
	seq        int

	refundStatus string // what new refunds answer; "" is "correct"

	life   *simkit.Life // ended by Close: stops deliveries and hung requests
	down   *simkit.Faults
	ops    *simkit.Faults
	sender *tpaynotify.Sender
}

// New returns a simulator; mount Handler and call SetBaseURL, or use Start.
// It panics if it cannot mint its certificates (Config.PKI avoids that).
func New(cfg Config) *Server {
	if cfg.ClientID == "" {
		cfg.ClientID = "01HSIMULATOR-demo"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "demo-secret"
	}
	if cfg.MerchantID == 0 {
		cfg.MerchantID = 1010
	}
	if cfg.SecurityCode == "" {
		cfg.SecurityCode = "demo"
	}
	if cfg.Currency == "" {
		cfg.Currency = "PLN"
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 7200 * time.Second
	}
	if cfg.HangTimeout <= 0 {
		cfg.HangTimeout = 30 * time.Second
	}
	if cfg.PKI == nil {
		pki, err := NewPKI()
		if err != nil {
			panic(fmt.Sprintf("tpaytest: minting certificates: %v", err))
		}
		cfg.PKI = pki
	}
	life := simkit.NewLife()
	timeout := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusGatewayTimeout, failed("timeout", "Gateway timeout", ""))
	}
	return &Server{
		cfg: cfg, tokens: map[string]time.Time{}, byID: map[string]*transaction{}, byCRC: map[string]*transaction{},
		certs: map[string][]byte{tpay.RootCertPath: PEM(cfg.PKI.Root), CertPath: PEM(cfg.PKI.Cert)},
		key:   cfg.PKI.Key,
		life:  life,
		down: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, failed("service_unavailable", "Service temporarily unavailable", ""))
		}, timeout),
		ops: simkit.NewFaults(life, cfg.HangTimeout, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusInternalServerError, failed("internal_error", "Internal server error; nothing was done", ""))
		}, timeout),
		sender: tpaynotify.NewSender(life, cfg.NotifyBackoff, cfg.NotifyMaxBackoff, cfg.NotifyAttempts, cfg.HTTPClient),
	}
}

// Start runs a simulator on a local httptest server.
func Start(cfg Config) *Server {
	s := New(cfg)
	s.host.Serve(s.Handler())
	return s
}

// SetRefundStatus makes the refunds made from now on answer, and list, with
// status (Tpay documents no list of refund statuses; "" restores
// "correct"). A refund in any status but "correct" is not finished: it
// sends no CHARGEBACK notification and does not end the transaction.
func (s *Server) SetRefundStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refundStatus = status
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// SetBaseURL sets the absolute URL the simulator is reachable at: payment
// page links and the x5u of notifications use it.
func (s *Server) SetBaseURL(u string) { s.host.SetBaseURL(u) }

// URL is the simulator's base URL: the backend's api_url and jws_prefix.
func (s *Server) URL() string { return s.host.URL() }

// SetFailure switches the API's failure mode: "" healthy, "5xx", "timeout".
// The payment page, the certificates and notifications are not affected.
func (s *Server) SetFailure(mode string) { s.down.Set(mode) }

// ServeCert serves cert at path (under the simulator's URL, so under a
// backend's trusted prefix): tests place a certificate there that does not
// chain to the root.
func (s *Server) ServeCert(path string, cert *x509.Certificate) {
	s.mu.Lock()
	s.certs[path] = PEM(cert)
	s.mu.Unlock()
}

// SetSigner makes key sign notifications from now on and serves cert at
// CertPath, as Tpay does when it rotates its signing certificate.
func (s *Server) SetSigner(key *rsa.PrivateKey, cert *x509.Certificate) {
	s.mu.Lock()
	s.key, s.certs[CertPath] = key, PEM(cert)
	s.mu.Unlock()
}

// TokenRequests counts the OAuth tokens granted.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// RevokeTokens forgets every token granted, so the next API call gets 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// Notifications returns the notification delivery attempts, oldest first.
func (s *Server) Notifications() []tpaynotify.Delivery { return s.sender.Log() }

// Quiet waits until every notification was acknowledged or given up.
func (s *Server) Quiet(ctx context.Context) error {
	return s.life.Quiet(ctx, "tpaytest: notifications")
}

// Close stops notification retries and hung requests and, after Start, the server.
func (s *Server) Close() {
	s.life.Close()
	s.host.Close()
}

// Transaction reports the transactionId, title and status of the latest
// transaction registered with hiddenDescription crc (getpaid's payment id).
func (s *Server) Transaction(crc string) (id, title, status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return "", "", "", false
	}
	return t.ID, t.Title, t.Status, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
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
