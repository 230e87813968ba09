package przelewy24

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerenv"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Hosts of the Przelewy24 REST API v1.
const (
	ProductionURL = "https://secure.przelewy24.pl"
	SandboxURL    = "https://sandbox.przelewy24.pl"
)

// defaultCurrencies are the currencies Przelewy24 accepts per
// getpaid-przelewy24 (HRK left out: it is no longer in circulation).
var defaultCurrencies = []string{"PLN", "EUR", "GBP", "CZK", "USD", "BGN", "DKK", "HUF", "NOK", "SEK", "CHF", "RON"}

// DefaultCurrencies returns the currencies accepted when Config.Currencies
// is empty (a copy: changing it changes no backend).
func DefaultCurrencies() []string { return slices.Clone(defaultCurrencies) }

// languages Przelewy24 accepts in register.
var languages = []string{"bg", "cs", "de", "en", "es", "fr", "hr", "hu", "it", "nl", "pl", "pt", "se", "sk", "ro"}

// Config is the backend's settings. The yaml names are fixed.
type Config struct {
	MerchantID  int      `yaml:"merchant_id"`
	PosID       int      `yaml:"pos_id"`  // defaults to MerchantID
	CRC         string   `yaml:"crc"`     // CRC key from the panel, signs everything
	APIKey      string   `yaml:"api_key"` // REST API key (reports key), HTTP Basic password
	Sandbox     bool     `yaml:"sandbox"`
	IPAllowlist bool     `yaml:"ip_allowlist"` // accept callbacks only from Przelewy24's addresses
	APIURL      string   `yaml:"api_url"`      // overrides the host (a simulator); a trailing /api/v1 is dropped
	Currencies  []string `yaml:"currencies"`   // defaults to DefaultCurrencies
	Language    string   `yaml:"language"`     // buyer page language when the buyer has none; default "pl"
	Country     string   `yaml:"country"`      // default "PL"
	// RefundNotifyURL is the urlStatus sent with refunds. When empty (the
	// usual case), the backend's own callback URL is sent.
	RefundNotifyURL string `yaml:"refund_notify_url"`

	// Timeout bounds every API call; default 30 s. A mutating call that
	// times out after its request was sent is reported as possibly done
	// (getpaid.BrokerError.Happened).
	Timeout time.Duration `yaml:"timeout"`
	// TimeLimit is register's timeLimit: minutes the buyer has to pay, 0 for
	// no limit, at most 99. Unset leaves Przelewy24's default.
	TimeLimit *int `yaml:"time_limit"`
	// WaitForResult is register's waitForResult: true keeps the buyer on
	// Przelewy24's page until the result is known. Unset leaves the default.
	WaitForResult *bool `yaml:"wait_for_result"`
	// Channel is register's channel bitmask of payment channels offered (1
	// cards, 2 transfers, 4 traditional transfer, 8, 16 all 24/7, 32
	// prepayment, 64 pay-by-link, 128 instalments, 256 wallets, 4096 card,
	// 8192 BLIK, 16384 all but BLIK; sums combine them). 0 sends none.
	Channel int `yaml:"channel"`
	// Method is register's method: the id of one payment method to send the
	// buyer straight to (the panel or GET /api/v1/payment/methods lists
	// them). 0 sends none.
	Method int `yaml:"method"`

	// HTTPClient is used for API calls; nil means a new client. Timeout,
	// when set, replaces the client's timeout.
	HTTPClient *http.Client `yaml:"-"`
}

// DefaultTimeout bounds API calls when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// channelBits are the channel values Przelewy24's register accepts, summed.
const channelBits = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256 | 4096 | 8192 | 16384

// Broker is the Przelewy24 backend. It is safe for concurrent use.
type Broker struct {
	cfg    Config
	base   string // host, no trailing slash
	client *http.Client
	env    atomic.Pointer[getpaid.Env] // set by Provision
}

// Interface guards.
var (
	_ getpaid.Broker              = (*Broker)(nil)
	_ getpaid.Provisioner         = (*Broker)(nil)
	_ getpaid.StatusFetcher       = (*Broker)(nil)
	_ getpaid.CallbackConfirmer   = (*Broker)(nil)
	_ getpaid.CallbackResponder   = (*Broker)(nil)
	_ getpaid.Refunder            = (*Broker)(nil)
	_ getpaid.Configurator        = (*Broker)(nil)
	_ getpaid.IPAllowlister       = (*Broker)(nil)
	_ getpaid.NotificationSourcer = (*Broker)(nil)
	_ getpaid.OperationFetcher    = (*Broker)(nil)
	_ getpaid.CallbackSizer       = (*Broker)(nil)
)

// New validates cfg, fills defaults and returns the backend.
func New(cfg Config) (*Broker, error) {
	var errs []error
	if cfg.MerchantID <= 0 {
		errs = append(errs, errors.New("merchant_id must be a positive integer"))
	}
	if cfg.PosID < 0 {
		errs = append(errs, errors.New("pos_id must be a positive integer"))
	}
	if cfg.PosID == 0 { // left out: the merchant's, checked above
		cfg.PosID = cfg.MerchantID
	}
	if cfg.CRC == "" {
		errs = append(errs, errors.New("crc is required"))
	}
	if cfg.APIKey == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = DefaultCurrencies()
	}
	cfg.Currencies = slices.Clone(cfg.Currencies)
	for _, c := range cfg.Currencies {
		exp, ok := getpaid.CurrencyExponent(c)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("currency %q is not an ISO 4217 code", c))
		case exp != 2:
			errs = append(errs, fmt.Errorf("currency %s has %d minor digits; Przelewy24 counts amounts in hundredths and does not accept it", c, exp))
		}
	}
	if cfg.Language == "" {
		cfg.Language = "pl"
	}
	if !slices.Contains(languages, cfg.Language) {
		errs = append(errs, fmt.Errorf("language %q is not one Przelewy24 accepts (%s)", cfg.Language, strings.Join(languages, " ")))
	}
	if cfg.Country == "" {
		cfg.Country = "PL"
	}
	if len(cfg.Country) != 2 {
		errs = append(errs, fmt.Errorf("country %q: want a two-letter code", cfg.Country))
	}
	base := ProductionURL
	if cfg.Sandbox {
		base = SandboxURL
	}
	if cfg.APIURL != "" {
		if err := brokerhttp.CheckURL("api_url", cfg.APIURL); err != nil {
			errs = append(errs, err)
		}
		// Przelewy24 documents its base URL with the API path
		// (https://secure.przelewy24.pl/api/v1): the host is what is kept.
		base = strings.TrimSuffix(strings.TrimRight(cfg.APIURL, "/"), "/api/v1")
	}
	if cfg.RefundNotifyURL != "" {
		// Sent to Przelewy24 with every refund: a bad one is learned only
		// from a refused refund, or never (no notification comes).
		if err := brokerhttp.CheckURL("refund_notify_url", cfg.RefundNotifyURL); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: want a positive duration", cfg.Timeout))
	}
	if cfg.TimeLimit != nil && (*cfg.TimeLimit < 0 || *cfg.TimeLimit > 99) {
		errs = append(errs, fmt.Errorf("time_limit %d: want 0 (no limit) to 99 minutes", *cfg.TimeLimit))
	}
	if cfg.Channel < 0 || cfg.Channel&^channelBits != 0 {
		errs = append(errs, fmt.Errorf("channel %d: want a sum of 1, 2, 4, 8, 16, 32, 64, 128, 256, 4096, 8192, 16384", cfg.Channel))
	}
	if cfg.Method < 0 {
		errs = append(errs, fmt.Errorf("method %d: want a payment method id", cfg.Method))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("przelewy24 config: %w", err)
	}
	return &Broker{cfg: cfg, base: base, client: brokerhttp.Client(cfg.HTTPClient, cfg.Timeout, DefaultTimeout)}, nil
}

// Provision implements getpaid.Provisioner: transactions and refunds carry
// the backend's callback URL (urlStatus) and return URL from env.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("przelewy24", &b.env, env)
}

// environment returns the broker's environment, or an error before Provision.
func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("przelewy24: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// Currencies lists the accepted currency codes.
func (b *Broker) Currencies() []string { return slices.Clone(b.cfg.Currencies) }

// CallbackAck answers a notification with 200 and the body "OK". Przelewy24
// documents only that it wants HTTP 200; the body is ignored.
func (b *Broker) CallbackAck() (string, []byte) { return "text/plain; charset=utf-8", []byte("OK") }

// PanelSettings lists what to set up in the Przelewy24 panel. urlStatus is
// sent with every transaction, so the panel needs no notification URL.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "Notification URL (urlStatus, sent per transaction)", Value: env.CallbackURL()},
		{Name: "Merchant ID (merchant_id)", Value: strconv.Itoa(b.cfg.MerchantID)},
		{Name: "Shop / POS ID (pos_id)", Value: strconv.Itoa(b.cfg.PosID)},
		{Name: "CRC key (crc)", Value: "copy from panel: My data > API configuration > CRC key"},
		{Name: "REST API key (api_key)", Value: "copy from panel: My data > API configuration > API key (reports key)"},
		{Name: "Callback source addresses to allow in firewalls", Value: strings.Join(allowedIPs, ", ")},
	}
}

// allowedIPs are Przelewy24's notification sources: the SDK's addresses and
// the ranges the documentation lists.
var allowedIPs = []string{
	"5.252.202.254/32", "5.252.202.255/32", "20.215.81.124/32",
	"193.178.213.0/24", "91.220.177.0/24", "20.215.183.48/28", "134.112.88.8/29",
}

var allowedPrefixes = func() []netip.Prefix {
	ps := make([]netip.Prefix, len(allowedIPs))
	for i, s := range allowedIPs {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}()

// AllowCallbackFrom reports whether a notification may come from ip: always
// when ip_allowlist is off, else only from Przelewy24's addresses (blanks
// around ip ignored, as the other brokers ignore them).
func (b *Broker) AllowCallbackFrom(ip string) bool {
	return !b.cfg.IPAllowlist || b.IsNotificationSource(ip)
}

// IsNotificationSource implements getpaid.NotificationSourcer: whether ip
// is one of Przelewy24's addresses, ip_allowlist on or off.
func (b *Broker) IsNotificationSource(ip string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range allowedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// MaxCallbackBytes implements getpaid.CallbackSizer: transaction and refund
// notifications are a dozen short fields (under 400 bytes in the SDK's
// fixtures), never the description.
func (b *Broker) MaxCallbackBytes() int64 { return 8 << 10 }

// Close implements io.Closer (getpaid.Registry.Close calls it): the
// connections kept open to the broker are closed.
func (b *Broker) Close() error {
	brokerhttp.CloseIdle(b.client)
	return nil
}
