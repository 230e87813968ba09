package transferuj

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
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// ProductionURL is where the legacy payment form is posted (it was
// https://secure.transferuj.pl before the rename; that host redirects).
const ProductionURL = "https://secure.tpay.com"

// The request md5sum variants (md5_variant).
const (
	// VariantJoined is md5(id&amount&crc&security code): the current
	// tpay-php library. The form uses the current field names.
	VariantJoined = "joined"
	// VariantPlain is md5(id‖kwota‖crc‖security code), the plain
	// concatenation django-getpaid 1.x sent, with the old Polish field names.
	VariantPlain = "plain"
)

// Redirect methods (method).
const (
	MethodPost = "post" // an auto-submitted POST form (tpay-php's form)
	MethodGet  = "get"  // a GET link with the fields in the query
)

// Config holds the backend's settings; yaml names are fixed. The zero value
// of every optional field is the safe default.
type Config struct {
	MerchantID   int    `yaml:"merchant_id"`   // the merchant id ("id"); required
	SecurityCode string `yaml:"security_code"` // "kod bezpieczeństwa" from the panel; required
	MD5Variant   string `yaml:"md5_variant"`   // "joined" (default) or "plain" (django-getpaid 1.x)
	Method       string `yaml:"method"`        // "post" (default) or "get"
	APIURL       string `yaml:"api_url"`       // where the form goes; default https://secure.tpay.com (a simulator: transferujtest)
	// Currencies is the account's currency: the form and the notification
	// carry none, so a Tpay account takes one currency. Default PLN.
	Currencies []string `yaml:"currencies"`
	// IPAllowlist accepts notifications only from the addresses Tpay's
	// legacy SDKs list (Tpay no longer publishes a list; the md5sum and the
	// JWS are the checks that always apply).
	IPAllowlist bool `yaml:"ip_allowlist"`
	// RequireJWS refuses a notification without the JWS Tpay signs every
	// notification with today (X-JWS-Signature). Off by default: the legacy
	// Transferuj notification is signed by its md5sum alone, which covers
	// neither tr_status nor tr_paid (see the package doc). A JWS a
	// notification carries is checked either way.
	RequireJWS bool `yaml:"require_jws"`
	// JWSPrefix is the URL prefix notification certificates must come from
	// (the root is fetched from JWSPrefix + /x509/tpay-jws-root.pem);
	// default https://secure.tpay.com (a simulator: transferujtest's URL).
	JWSPrefix string `yaml:"jws_prefix"`
	// HTTPClient fetches the certificates; nil means a client with a 30 s
	// timeout. Redirects are never followed.
	HTTPClient *http.Client `yaml:"-"`
	// Now is the clock of the certificate cache; nil means time.Now.
	Now func() time.Time `yaml:"-"`
}

// certTimeout bounds fetching a notification certificate.
const certTimeout = 30 * time.Second

// Broker is the legacy Transferuj/Tpay form backend. It is safe for
// concurrent use.
type Broker struct {
	cfg  Config
	base string
	jws  *tpaynotify.JWSVerifier
	env  atomic.Pointer[getpaid.Env]
}

// Interface guards.
var (
	_ getpaid.Broker              = (*Broker)(nil)
	_ getpaid.Provisioner         = (*Broker)(nil)
	_ getpaid.CallbackResponder   = (*Broker)(nil)
	_ getpaid.CallbackVerifier    = (*Broker)(nil)
	_ getpaid.Configurator        = (*Broker)(nil)
	_ getpaid.IPAllowlister       = (*Broker)(nil)
	_ getpaid.NotificationSourcer = (*Broker)(nil)
	_ getpaid.CallbackSizer       = (*Broker)(nil)
	_ getpaid.Cautioner           = (*Broker)(nil)
)

// New validates cfg, fills defaults and returns the backend.
func New(cfg Config) (*Broker, error) {
	var errs []error
	if cfg.MerchantID <= 0 {
		errs = append(errs, errors.New("merchant_id must be a positive integer"))
	}
	if strings.TrimSpace(cfg.SecurityCode) == "" {
		errs = append(errs, errors.New("security_code is required"))
	}
	cfg.MD5Variant = strings.ToLower(cfg.MD5Variant)
	if cfg.MD5Variant == "" {
		cfg.MD5Variant = VariantJoined
	}
	if cfg.MD5Variant != VariantJoined && cfg.MD5Variant != VariantPlain {
		errs = append(errs, fmt.Errorf("md5_variant %q: want %q or %q", cfg.MD5Variant, VariantJoined, VariantPlain))
	}
	cfg.Method = strings.ToLower(cfg.Method)
	if cfg.Method == "" {
		cfg.Method = MethodPost
	}
	if cfg.Method != MethodPost && cfg.Method != MethodGet {
		errs = append(errs, fmt.Errorf("method %q: want %q or %q", cfg.Method, MethodPost, MethodGet))
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = []string{"PLN"}
	}
	cfg.Currencies = slices.Clone(cfg.Currencies)
	if len(cfg.Currencies) > 1 {
		errs = append(errs, fmt.Errorf("currencies %v: a Tpay account takes one currency and the legacy form names none; configure one backend per account", cfg.Currencies))
	}
	for _, c := range cfg.Currencies {
		if err := tpaynotify.CheckCurrency(c); err != nil {
			errs = append(errs, err)
		}
	}
	base := ProductionURL
	if cfg.APIURL != "" {
		if err := brokerhttp.CheckURL("api_url", cfg.APIURL); err != nil {
			errs = append(errs, err)
		}
		base = strings.TrimRight(cfg.APIURL, "/")
	}
	prefix := tpaynotify.ProductionJWSPrefix
	if cfg.JWSPrefix != "" {
		if err := brokerhttp.CheckURL("jws_prefix", cfg.JWSPrefix); err != nil {
			errs = append(errs, err)
		}
		prefix = cfg.JWSPrefix
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("transferuj config: %w", err)
	}
	client := brokerhttp.NoRedirects(brokerhttp.Client(cfg.HTTPClient, 0, certTimeout))
	return &Broker{cfg: cfg, base: base, jws: tpaynotify.NewJWSVerifier(prefix, client, cfg.Now)}, nil
}

// Provision implements getpaid.Provisioner: the form carries the backend's
// notification and return URLs from env.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("transferuj", &b.env, env)
}

func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("transferuj: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// Currencies lists the account's currency.
func (b *Broker) Currencies() []string { return slices.Clone(b.cfg.Currencies) }

// CallbackAck answers a notification with the body TRUE; anything else makes
// Tpay send it again.
func (b *Broker) CallbackAck() (string, []byte) {
	return "text/plain; charset=utf-8", []byte(tpaynotify.Ack)
}

// PanelSettings lists what to check in Tpay's merchant panel. The
// notification and return URLs travel with every form, so the panel only
// has to hold the same merchant id and security code.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "Merchant id (merchant_id)", Value: strconv.Itoa(b.cfg.MerchantID)},
		{Name: "Security code (security_code)", Value: "copy from the panel: Settings > Notifications > Security code"},
		// Tpay takes result_url only when the panel allows overriding the
		// notification URL (support.tpay.com, form parameter table).
		{Name: "Notification URL (sent with every form as result_url/wyn_url)", Value: "Settings > Notifications: allow overriding the notification URL, or set it there to " + env.CallbackURL()},
		{Name: "Return URLs", Value: "none in the panel: return_url and return_error_url are sent per payment (getpaid's /success/ and /failure/{payment id})"},
		{Name: "Form md5sum", Value: b.cfg.MD5Variant + " (md5_variant)"},
		{Name: "Notification certificates trusted from", Value: b.jws.Prefix() + " (root " + b.jws.Prefix() + tpaynotify.RootCertPath + ")"},
		{Name: "Notifications without a JWS (require_jws)", Value: map[bool]string{true: "refused", false: "accepted on their md5sum alone (set require_jws: true if your account's notifications carry X-JWS-Signature)"}[b.cfg.RequireJWS]},
		{Name: "Notification source addresses (with ip_allowlist)", Value: strings.Join(NotificationIPs(), ", ")},
	}
}

// notificationIPs are the notification sources the legacy SDKs list
// (brokers.md §3.2; Tpay publishes no list any more).
var notificationIPs = []string{"176.119.38.175", "195.149.229.109", "148.251.96.163", "178.32.201.77", "46.248.167.59", "46.29.19.106"}

// NotificationIPs returns the legacy notification source addresses.
func NotificationIPs() []string { return slices.Clone(notificationIPs) }

// RequiresJWS reports whether notifications without a JWS are refused
// (require_jws).
func (b *Broker) RequiresJWS() bool { return b.cfg.RequireJWS }

// Cautions implements getpaid.Cautioner: without require_jws a notification
// stripped of its JWS is taken on an md5sum that does not cover its status.
func (b *Broker) Cautions() []string {
	if b.cfg.RequireJWS {
		return nil
	}
	return []string{"a transferuj backend takes notifications without a JWS on their md5sum alone, which covers neither tr_status nor tr_paid; Tpay signs every notification with a JWS today: set require_jws: true"}
}

// AllowCallbackFrom reports whether a notification may come from ip: always
// when ip_allowlist is off, else only from the legacy addresses.
func (b *Broker) AllowCallbackFrom(ip string) bool {
	return !b.cfg.IPAllowlist || b.IsNotificationSource(ip)
}

// IsNotificationSource implements getpaid.NotificationSourcer: whether ip
// is one of the legacy addresses, ip_allowlist on or off.
func (b *Broker) IsNotificationSource(ip string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	return slices.Contains(notificationIPs, addr.Unmap().String())
}

// MaxCallbackBytes implements getpaid.CallbackSizer: a notification is a
// form of about fifteen fields (a few hundred bytes) with the transaction's
// description.
func (b *Broker) MaxCallbackBytes() int64 { return 16 << 10 }

// Close implements io.Closer (getpaid.Registry.Close calls it): the
// connections kept open to the certificates' host are closed.
func (b *Broker) Close() error {
	b.jws.CloseIdleConnections()
	return nil
}
