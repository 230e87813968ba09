package tpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerenv"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Tpay OpenAPI hosts and the hosts its notification certificates live under
// (brokers.md §3.1, §3.2; tpay-openapi-php ApiAction and
// JWSVerifiedPaymentNotification).
const (
	ProductionURL = "https://api.tpay.com"
	SandboxURL    = "https://openapi.sandbox.tpay.com"
	// SignatureHeader is the header carrying a notification's detached JWS.
	SignatureHeader     = tpaynotify.SignatureHeader
	ProductionJWSPrefix = tpaynotify.ProductionJWSPrefix
	SandboxJWSPrefix    = tpaynotify.SandboxJWSPrefix
	// RootCertPath is where Tpay's notification root certificate lives under
	// the trusted prefix.
	RootCertPath = tpaynotify.RootCertPath
)

// Config holds the backend's settings; yaml names are fixed. The zero value
// of every optional field is the safe default.
type Config struct {
	ClientID     string `yaml:"client_id"`     // Open API key (Merchant Panel > Integration > API); required
	ClientSecret string `yaml:"client_secret"` // its secret; required
	MerchantID   int    `yaml:"merchant_id"`   // the merchant id notifications carry as "id"; required
	SecurityCode string `yaml:"security_code"` // the notification security code (md5sum); required
	Sandbox      bool   `yaml:"sandbox"`       // openapi.sandbox.tpay.com and the sandbox certificate prefix
	// JWSPrefix is the URL prefix notification certificates must come from;
	// the root certificate is fetched from JWSPrefix + RootCertPath. Default
	// https://secure.tpay.com (https://secure.sandbox.tpay.com with sandbox).
	JWSPrefix string `yaml:"jws_prefix"`
	APIURL    string `yaml:"api_url"` // overrides the API host (a simulator: tpaytest)
	// Currencies the account takes; default PLN. Tpay opens one account per
	// currency; each must have two minor digits.
	Currencies []string `yaml:"currencies"`
	// Timeout bounds every HTTP call to Tpay (API and certificates); default 30 s.
	Timeout time.Duration `yaml:"timeout"`

	// HTTPClient is used for every HTTP call; nil means a new client.
	// Timeout, when set, replaces the client's timeout. Redirects are never
	// followed, whatever the client's CheckRedirect says.
	HTTPClient *http.Client `yaml:"-"`
	// Now is the clock for token expiry and certificate caching; nil means time.Now.
	Now func() time.Time `yaml:"-"`
}

// Broker is the Tpay OpenAPI backend. It is safe for concurrent use; it holds
// an OAuth token and the notification certificates in memory, nothing that
// needs closing.
type Broker struct {
	cfg        Config
	base       string
	currencies []string
	client     *http.Client
	now        func() time.Time
	tokens     *brokerhttp.Tokens
	jws        *tpaynotify.JWSVerifier
	env        atomic.Pointer[getpaid.Env]
}

// Interface guards.
var (
	_ getpaid.Broker            = (*Broker)(nil)
	_ getpaid.Provisioner       = (*Broker)(nil)
	_ getpaid.StatusFetcher     = (*Broker)(nil)
	_ getpaid.Canceler          = (*Broker)(nil)
	_ getpaid.Refunder          = (*Broker)(nil)
	_ getpaid.OperationFetcher  = (*Broker)(nil)
	_ getpaid.CallbackResponder = (*Broker)(nil)
	_ getpaid.CallbackVerifier  = (*Broker)(nil)
	_ getpaid.Configurator      = (*Broker)(nil)
	_ getpaid.CallbackSizer     = (*Broker)(nil)
)

// DefaultTimeout bounds HTTP calls when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// New validates cfg, fills defaults and returns the backend.
func New(cfg Config) (*Broker, error) {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"client_id", cfg.ClientID}, {"client_secret", cfg.ClientSecret}, {"security_code", cfg.SecurityCode},
	} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if cfg.MerchantID <= 0 {
		errs = append(errs, errors.New("merchant_id must be a positive integer"))
	}
	base, prefix := ProductionURL, ProductionJWSPrefix
	if cfg.Sandbox {
		base, prefix = SandboxURL, SandboxJWSPrefix
	}
	check := func(name, v string) string {
		if err := brokerhttp.CheckURL(name, v); err != nil {
			errs = append(errs, err)
		}
		return strings.TrimRight(v, "/")
	}
	if cfg.APIURL != "" {
		base = check("api_url", cfg.APIURL)
	}
	if cfg.JWSPrefix != "" {
		prefix = check("jws_prefix", cfg.JWSPrefix)
		// Each environment signs notifications with certificates from its
		// own host: the other's refuses every one (and production should
		// not trust what the sandbox signs).
		switch {
		case cfg.Sandbox && prefix == strings.TrimRight(ProductionJWSPrefix, "/"):
			errs = append(errs, fmt.Errorf("jws_prefix %q is production's while sandbox is on: the sandbox signs with certificates from %s (leave jws_prefix out)", cfg.JWSPrefix, SandboxJWSPrefix))
		case !cfg.Sandbox && prefix == strings.TrimRight(SandboxJWSPrefix, "/"):
			errs = append(errs, fmt.Errorf("jws_prefix %q is the sandbox's while sandbox is off: production signs with certificates from %s (leave jws_prefix out, or set sandbox: true)", cfg.JWSPrefix, ProductionJWSPrefix))
		}
	}
	cur := cfg.Currencies
	if len(cur) == 0 {
		cur = []string{"PLN"}
	}
	for _, c := range cur {
		if err := tpaynotify.CheckCurrency(c); err != nil {
			errs = append(errs, fmt.Errorf("currencies: %w", err))
		}
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("timeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tpay config: %w", err)
	}
	client := brokerhttp.NoRedirects(brokerhttp.Client(cfg.HTTPClient, cfg.Timeout, DefaultTimeout))
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	b := &Broker{cfg: cfg, base: base, currencies: slices.Clone(cur), client: client, now: now,
		jws: tpaynotify.NewJWSVerifier(prefix, client, now)}
	b.tokens = brokerhttp.NewTokens("tpay: oauth", now, b.fetchToken)
	return b, nil
}

// Provision implements getpaid.Provisioner: transactions carry the backend's
// notification and return URLs from env.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("tpay", &b.env, env)
}

func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("tpay: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// Currencies lists the accepted ISO 4217 codes.
func (b *Broker) Currencies() []string { return slices.Clone(b.currencies) }

// BaseURL is the API host in use (production, sandbox or api_url).
func (b *Broker) BaseURL() string { return b.base }

// JWSPrefix is the trusted certificate prefix in use.
func (b *Broker) JWSPrefix() string { return b.jws.Prefix() }

// CallbackAck answers a notification with the body TRUE; anything else makes
// Tpay send it again.
func (b *Broker) CallbackAck() (string, []byte) {
	return "text/plain; charset=utf-8", []byte(tpaynotify.Ack)
}

// PanelSettings lists what to set up in Tpay's merchant panel. Notification
// and return URLs are sent with every transaction.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "Merchant id (merchant_id)", Value: strconv.Itoa(b.cfg.MerchantID)},
		{Name: "Open API key (client_id, client_secret)", Value: "Merchant Panel > Integration > API > Open API keys > Add new key (client_id " + b.cfg.ClientID + ")"},
		{Name: "Notification security code (security_code)", Value: "copy from the panel: Settings > Notifications > Security code"},
		{Name: "Notification URL (sent as callbacks.notification.url with every transaction)", Value: env.CallbackURL()},
		{Name: "Return URLs", Value: "none in the panel: callbacks.payerUrls are sent per transaction (getpaid's /success/ and /failure/{payment id})"},
		{Name: "Notification certificates trusted from", Value: b.jws.Prefix() + " (root " + b.jws.Prefix() + RootCertPath + ")"},
	}
}

// accepts refuses a currency the backend does not take.
func (b *Broker) accepts(currency string) error {
	if !slices.Contains(b.currencies, currency) {
		return fmt.Errorf("tpay: %w: %s (accepted: %s)", getpaid.ErrCurrencyNotAccepted, currency, strings.Join(b.currencies, " "))
	}
	return nil
}

// MaxCallbackBytes implements getpaid.CallbackSizer: a notification is a
// form of about fifteen fields (a few hundred bytes) with the transaction's
// description; its JWS signature travels in a header.
func (b *Broker) MaxCallbackBytes() int64 { return 16 << 10 }

// Close implements io.Closer (getpaid.Registry.Close calls it): the
// connections kept open to the broker are closed.
func (b *Broker) Close() error {
	brokerhttp.CloseIdle(b.client)
	return nil
}
