package payu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerenv"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// PayU hosts (brokers.md §1.1).
const (
	ProductionURL = "https://secure.payu.com"
	SandboxURL    = "https://secure.snd.payu.com"
)

// DefaultCurrencies are the currencies the backend accepts when Config.Currencies
// is empty: getpaid-payu's list without HRK (replaced by EUR in Croatia on
// 2023-01-01) and RUB (no longer offered by PayU). All have two minor digits.
var defaultCurrencies = []string{"BGN", "CHF", "CZK", "DKK", "EUR", "GBP", "HUF", "NOK", "PLN", "RON", "SEK", "UAH", "USD"}

// DefaultCurrencies returns a copy of the default currency list.
func DefaultCurrencies() []string { return slices.Clone(defaultCurrencies) }

// Config holds the PayU backend settings. The zero value of every optional
// field is the safe default.
type Config struct {
	PosID        string `yaml:"pos_id"`        // point of sale id (merchantPosId); required
	SecondKey    string `yaml:"second_key"`    // "second key (MD5)": verifies notifications; required
	ClientID     string `yaml:"client_id"`     // OAuth client id (usually equal to pos_id); required
	ClientSecret string `yaml:"client_secret"` // OAuth client secret; required
	Sandbox      bool   `yaml:"sandbox"`       // use secure.snd.payu.com and the sandbox IP list
	IPAllowlist  bool   `yaml:"ip_allowlist"`  // accept notifications only from PayU's published addresses
	APIURL       string `yaml:"api_url"`       // overrides the host (simulator, proxies); a trailing /api/v2_1 is dropped

	// StrictSignatures refuses notifications signed with MD5 and accepts
	// SHA-256/384/512 only. Off by default: PayU signs its notifications
	// with MD5 (keyed with the second key), in production and in the
	// sandbox, so a strict backend only works with a POS PayU has set to a
	// SHA-2 algorithm. SHA-1 is refused either way.
	StrictSignatures bool `yaml:"strict_signatures"`
	// AllowMD5 is the former name of the opposite setting, kept so old
	// configurations still load: allow_md5: false is strict_signatures:
	// true; allow_md5: true is the default. Deprecated.
	AllowMD5 *bool `yaml:"allow_md5"`

	// Timeout bounds every API call (OAuth included); default 30 s. A call
	// that times out after its request was sent is reported as possibly
	// done (getpaid.BrokerError.Happened).
	Timeout time.Duration `yaml:"timeout"`
	// ValidityTime is how long the buyer has to pay an order (validityTime,
	// whole seconds); zero leaves PayU's default of 86400 s (24 h).
	ValidityTime time.Duration `yaml:"validity_time"`
	// PreAuthorization asks for a card pre-authorisation with every order
	// (payMethods.payMethod: type PBL, value "c", authorizationType
	// PRE_AUTHORIZATION): the buyer goes straight to PayU's card form and
	// the order stops at WAITING_FOR_CONFIRMATION until captured or
	// released, whatever the POS's auto-receive setting.
	PreAuthorization bool `yaml:"pre_authorization"`

	// Currencies overrides DefaultCurrencies. Each must have two minor digits
	// in getpaid's ISO table: PayU's amount convention for others is undocumented.
	Currencies []string `yaml:"currencies"`

	// HTTPClient is used for API calls; nil means a new client. Timeout, when
	// set, replaces the client's timeout. Redirects are never followed,
	// whatever the client's CheckRedirect says.
	HTTPClient *http.Client `yaml:"-"`
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time `yaml:"-"`
}

// Broker is the PayU REST API v2.1 backend. It is safe for concurrent use.
type Broker struct {
	cfg        Config
	base       string
	currencies []string
	client     *http.Client
	tokens     *brokerhttp.Tokens
	env        atomic.Pointer[getpaid.Env]
}

// Interface guards.
var (
	_ getpaid.Broker              = (*Broker)(nil)
	_ getpaid.Provisioner         = (*Broker)(nil)
	_ getpaid.StatusFetcher       = (*Broker)(nil)
	_ getpaid.Capturer            = (*Broker)(nil)
	_ getpaid.Releaser            = (*Broker)(nil)
	_ getpaid.Refunder            = (*Broker)(nil)
	_ getpaid.Canceler            = (*Broker)(nil)
	_ getpaid.Configurator        = (*Broker)(nil)
	_ getpaid.IPAllowlister       = (*Broker)(nil)
	_ getpaid.NotificationSourcer = (*Broker)(nil)
	_ getpaid.CallbackVerifier    = (*Broker)(nil)
	_ getpaid.OperationFetcher    = (*Broker)(nil)
	_ getpaid.CallbackSizer       = (*Broker)(nil)
	_ getpaid.Cautioner           = (*Broker)(nil)
)

// DefaultTimeout bounds API calls when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// New validates cfg and returns a backend.
func New(cfg Config) (*Broker, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"pos_id", cfg.PosID}, {"second_key", cfg.SecondKey},
		{"client_id", cfg.ClientID}, {"client_secret", cfg.ClientSecret},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("payu: missing settings: %s", strings.Join(missing, ", "))
	}
	if cfg.AllowMD5 != nil && *cfg.AllowMD5 && cfg.StrictSignatures {
		return nil, errors.New("payu: allow_md5: true contradicts strict_signatures: true (allow_md5 is the former, opposite name of strict_signatures): keep strict_signatures alone")
	}
	base := ProductionURL
	if cfg.Sandbox {
		base = SandboxURL
	}
	if cfg.APIURL != "" {
		if err := brokerhttp.CheckURL("api_url", cfg.APIURL); err != nil {
			return nil, fmt.Errorf("payu: %w", err)
		}
		// PayU documents its API under {host}/api/v2_1; given so, the
		// suffix is dropped (OAuth lives at {host}/pl/standard/..., not
		// under it, and the paths already carry /api/v2_1).
		base = strings.TrimSuffix(strings.TrimRight(cfg.APIURL, "/"), "/api/v2_1")
	}
	cur := defaultCurrencies
	if len(cfg.Currencies) > 0 {
		cur = cfg.Currencies
	}
	for _, c := range cur {
		if err := checkCurrency(c); err != nil {
			return nil, fmt.Errorf("payu: currencies: %w", err)
		}
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("payu: timeout %s: want a positive duration", cfg.Timeout)
	case cfg.ValidityTime < 0 || (cfg.ValidityTime > 0 && cfg.ValidityTime < time.Second):
		return nil, fmt.Errorf("payu: validity_time %s: want at least one second", cfg.ValidityTime)
	case cfg.ValidityTime%time.Second != 0:
		// PayU's validityTime is whole seconds: 1500ms was sent as 1.
		return nil, fmt.Errorf("payu: validity_time %s: want whole seconds (PayU's validityTime is a count of them)", cfg.ValidityTime)
	}
	client := brokerhttp.NoRedirects(brokerhttp.Client(cfg.HTTPClient, cfg.Timeout, DefaultTimeout))
	b := &Broker{cfg: cfg, base: base, currencies: slices.Clone(cur), client: client}
	b.tokens = brokerhttp.NewTokens("payu: oauth", cfg.Now, b.fetchToken)
	return b, nil
}

// Provision implements getpaid.Provisioner: orders carry the backend's
// callback URL (notifyUrl) and return URL (continueUrl) from env.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("payu", &b.env, env)
}

// environment returns the broker's environment, or an error before Provision.
func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("payu: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// StrictSignatures reports whether MD5-signed notifications are refused
// (strict_signatures, or the deprecated allow_md5: false). PayU signs with
// MD5 unless its POS is set otherwise, so a strict backend may refuse real
// notifications: Cautions says so, and the engine logs it when it starts.
func (b *Broker) StrictSignatures() bool {
	return b.cfg.StrictSignatures || (b.cfg.AllowMD5 != nil && !*b.cfg.AllowMD5)
}

// Cautions implements getpaid.Cautioner: a strict backend may answer
// every real notification 403.
func (b *Broker) Cautions() []string {
	if !b.StrictSignatures() {
		return nil
	}
	return []string{"a payu backend refuses MD5-signed notifications (strict_signatures: true, or allow_md5: false): PayU signs them with MD5 unless the POS is set to SHA-256 or stronger in PayU's panel; otherwise every notification is answered 403 and payments and refunds finish only by polling"}
}

// policy is the notification signature policy in force.
func (b *Broker) policy() Policy {
	if b.StrictSignatures() {
		return PolicyStrict
	}
	return PolicyPayU
}

// Currencies lists the accepted ISO 4217 codes.
func (b *Broker) Currencies() []string { return slices.Clone(b.currencies) }

// BaseURL is the API host in use (production, sandbox or api_url).
func (b *Broker) BaseURL() string { return b.base }

func (b *Broker) accepts(currency string) error {
	if !slices.Contains(b.currencies, currency) {
		return fmt.Errorf("payu: %w: %s", getpaid.ErrCurrencyNotAccepted, currency)
	}
	return nil
}

// PayU's published notification source addresses (brokers.md §1.8, from a
// third-party list matching PayU's documentation).
var (
	productionIPs = []string{"185.68.12.10", "185.68.12.11", "185.68.12.12", "185.68.12.26", "185.68.12.27", "185.68.12.28"}
	sandboxIPs    = []string{"185.68.14.10", "185.68.14.11", "185.68.14.12", "185.68.14.26", "185.68.14.27", "185.68.14.28"}
)

// NotificationIPs returns PayU's published notification addresses for
// production or sandbox.
func NotificationIPs(sandbox bool) []string {
	if sandbox {
		return slices.Clone(sandboxIPs)
	}
	return slices.Clone(productionIPs)
}

// AllowCallbackFrom reports whether a notification from ip (already resolved
// through trusted proxies by the caller) is acceptable: always when
// ip_allowlist is off, else only from PayU's addresses for the configured mode.
// An IPv4 address written IPv4-mapped ("::ffff:185.68.12.10", as a
// dual-stack listener or a proxy's log writes it) is that address.
func (b *Broker) AllowCallbackFrom(ip string) bool {
	return !b.cfg.IPAllowlist || b.IsNotificationSource(ip)
}

// IsNotificationSource implements getpaid.NotificationSourcer: whether ip
// is one of PayU's addresses for the configured mode, ip_allowlist on or
// off.
func (b *Broker) IsNotificationSource(ip string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	return slices.Contains(NotificationIPs(b.cfg.Sandbox), addr.Unmap().String())
}

// PanelSettings lists what a merchant checks in PayU's panel for a getpaid
// reachable at baseURL. PayU takes the notification and return URLs per order
// (notifyUrl, continueUrl); the panel only has to show the same POS.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "POS id (pos_id, must match the panel's POS)", Value: b.cfg.PosID},
		{Name: "OAuth client_id", Value: b.cfg.ClientID},
		{Name: "Notification URL (sent as notifyUrl with every order)", Value: env.CallbackURL()},
		{Name: "Return URL", Value: "none in the panel: continueUrl is sent per order (getpaid's /success/{payment id})"},
		{Name: "Signature algorithm", Value: b.algorithmAdvice()},
	}
}

func (b *Broker) algorithmAdvice() string {
	if b.StrictSignatures() {
		return "SHA-256, SHA-384 or SHA-512 (strict_signatures is on: MD5-signed notifications are refused)"
	}
	return "any PayU offers: MD5 (PayU's default), SHA-256, SHA-384 or SHA-512"
}

var errNoOrderID = errors.New("payment has no PayU order id yet")

// MaxCallbackBytes implements getpaid.CallbackSizer. An order notification
// echoes the whole order getpaid created (about 1.2 KiB for PayU's
// documented example): a description of up to 4000 characters, the product
// name, buyer and URLs of up to 1024 characters, which JSON escaping can
// make several times longer in bytes; 64 KiB leaves room for that and for
// fields PayU adds.
func (b *Broker) MaxCallbackBytes() int64 { return 64 << 10 }

// Close implements io.Closer (getpaid.Registry.Close calls it): the
// connections kept open to the broker are closed.
func (b *Broker) Close() error {
	brokerhttp.CloseIdle(b.client)
	return nil
}
