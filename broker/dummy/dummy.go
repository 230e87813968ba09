package dummy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerenv"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// SignatureHeader carries the callback's HMAC.
const SignatureHeader = "Dummy-Signature"

// defaultCurrencies are accepted when Config.Currencies is empty.
var defaultCurrencies = []string{"PLN", "EUR", "USD", "GBP", "JPY"}

// Config configures the dummy broker.
type Config struct {
	Secret     string   `yaml:"secret"`
	Currencies []string `yaml:"currencies"`
	Method     string   `yaml:"method"` // GET (default) or POST
	// NoCallbacks makes the paywall record the buyer's choice without
	// sending a callback (pull mode): only polling finds it.
	NoCallbacks bool `yaml:"no_callbacks"`
	// Fault makes every money operation (capture, release, cancel, refund)
	// misbehave, for trying out getpaid's handling of doubt: "" (none),
	// "timeout-after" (done, but the answer is lost), "timeout-before" (not
	// done, the answer is lost) or "5xx" (not done, a server error).
	Fault string `yaml:"fault"`
	// HTTPClient sends callbacks; nil means a client with a 10 s timeout.
	HTTPClient *http.Client `yaml:"-"`
	// RetryDelays are the waits before each callback retry; nil means
	// 1s, 2s, 5s, 10s, 30s.
	RetryDelays []time.Duration `yaml:"-"`
}

// Broker is the dummy backend together with its paywall.
type Broker struct {
	cfg    Config
	env    atomic.Pointer[getpaid.Env] // set by Provision
	fault  atomic.Pointer[string]
	client *http.Client
	mu     sync.Mutex
	state  map[string]*session // payment id -> what the buyer chose
	wg     sync.WaitGroup
	quit   chan struct{} // closed by Close: callbacks stop retrying
	once   sync.Once
}

type session struct {
	status   string // paid, failed, partially_paid, pre_auth, released, cancelled
	currency string
	captured int64
	locked   int64
	refunded int64
	refunds  map[string]int64 // operation id -> amount: a repeated request refunds once
	// adopted: the record was taken from getpaid's (see Broker.session), so
	// refunds made before, by another process or an earlier run, are not
	// in refunds.
	adopted bool
}

var (
	_ getpaid.Broker           = (*Broker)(nil)
	_ getpaid.Provisioner      = (*Broker)(nil)
	_ io.Closer                = (*Broker)(nil)
	_ getpaid.StatusFetcher    = (*Broker)(nil)
	_ getpaid.CallbackVerifier = (*Broker)(nil)
	_ getpaid.Capturer         = (*Broker)(nil)
	_ getpaid.Releaser         = (*Broker)(nil)
	_ getpaid.Refunder         = (*Broker)(nil)
	_ getpaid.Canceler         = (*Broker)(nil)
	_ getpaid.OperationFetcher = (*Broker)(nil)
	_ getpaid.Configurator     = (*Broker)(nil)
	_ getpaid.PageServer       = (*Broker)(nil)
	_ getpaid.CallbackSizer    = (*Broker)(nil)
	_ getpaid.Cautioner        = (*Broker)(nil)
)

// Cautions implements getpaid.Cautioner: the dummy is for development.
func (b *Broker) Cautions() []string {
	return []string{"a dummy backend is enabled: its paywall lets anyone mark payments paid for free; never enable it in production"}
}

// New validates cfg and returns the broker.
func New(cfg Config) (*Broker, error) {
	if cfg.Secret == "" {
		return nil, errors.New("dummy: setting secret is required")
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = defaultCurrencies
	}
	// Its own copies: the caller may reuse the slices after New.
	cfg.Currencies, cfg.RetryDelays = slices.Clone(cfg.Currencies), slices.Clone(cfg.RetryDelays)
	for _, c := range cfg.Currencies {
		if !getpaid.KnownCurrency(c) {
			return nil, fmt.Errorf("dummy: currencies: %w %q", getpaid.ErrUnknownCurrency, c)
		}
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if cfg.Method != http.MethodGet && cfg.Method != http.MethodPost {
		return nil, fmt.Errorf("dummy: method %q: want GET or POST", cfg.Method)
	}
	if err := checkFault(cfg.Fault); err != nil {
		return nil, err
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}
	}
	b := &Broker{cfg: cfg, client: brokerhttp.Client(cfg.HTTPClient, 0, 10*time.Second), state: map[string]*session{}, quit: make(chan struct{})}
	b.fault.Store(&cfg.Fault)
	return b, nil
}

// Provision implements getpaid.Provisioner: the paywall learns where it is
// mounted and where to send callbacks and buyers.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("dummy", &b.env, env)
}

// environment returns the broker's environment, or an error before Provision.
func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("dummy: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// Currencies implements getpaid.Broker.
func (b *Broker) Currencies() []string { return slices.Clone(b.cfg.Currencies) }

// Sign returns the lowercase hex HMAC-SHA256 of body with secret: the
// Dummy-Signature header value.
func Sign(secret string, body []byte) string {
	return hex.EncodeToString(mac(secret, body))
}

// mac is the HMAC-SHA256 of body under secret: Sign's, before hex.
func mac(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Prepare implements getpaid.Broker: it sends the buyer to the paywall with
// signed fields, by GET (query string) or POST (auto-submitted form). As a
// broker does, it refuses a currency not in Config.Currencies
// (getpaid.ErrCurrencyNotAccepted) and an amount of nothing or less
// (getpaid.ErrInvalidAmount).
func (b *Broker) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p := req.Payment
	if !slices.Contains(b.cfg.Currencies, p.Amount.Currency) {
		return nil, fmt.Errorf("dummy: %w: %s (accepted: %s)", getpaid.ErrCurrencyNotAccepted, p.Amount.Currency, strings.Join(b.cfg.Currencies, " "))
	}
	if p.Amount.Minor <= 0 {
		return nil, fmt.Errorf("dummy: %w: %s", getpaid.ErrInvalidAmount, p.Amount)
	}
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	f := paywallFields{
		PaymentID: p.ID, Amount: p.Amount.Decimal(), Currency: p.Amount.Currency,
		Description: p.Description, NotifyURL: env.CallbackURL(), SuccessURL: env.SuccessURL(p.ID), FailureURL: env.FailureURL(p.ID),
	}
	r := &getpaid.Redirect{Method: b.cfg.Method, URL: env.PagesURL() + "/pay", Fields: map[string]string{}}
	if r.Method == http.MethodGet {
		r.URL += "?" + f.query(b.cfg.Secret)
	} else {
		fields := f.values(b.cfg.Secret)
		for k := range fields {
			r.Fields[k] = fields.Get(k)
		}
	}
	return &getpaid.Prepared{ExternalID: "dummy-" + p.ID, Redirect: r}, nil
}

// Wait blocks until every callback the paywall is sending has finished
// (delivered or given up).
func (b *Broker) Wait() { b.wg.Wait() }

// Close stops retrying callbacks and waits for those in flight, for
// shutdown, and closes the connections kept open for callbacks.
func (b *Broker) Close() error {
	b.once.Do(func() { close(b.quit) })
	b.wg.Wait()
	brokerhttp.CloseIdle(b.client)
	return nil
}

// MaxCallbackBytes implements getpaid.CallbackSizer: a dummy callback is
// five short JSON fields (a few hundred bytes).
func (b *Broker) MaxCallbackBytes() int64 { return 4 << 10 }
