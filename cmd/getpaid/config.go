package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
)

// fileConfig is getpaid.yaml.
type fileConfig struct {
	Listen                 string   `yaml:"listen"`
	BaseURL                string   `yaml:"base_url"`
	Database               string   `yaml:"database"`
	APIKeys                []string `yaml:"api_keys"`
	TrustedProxies         []string `yaml:"trusted_proxies"`
	OneLivePaymentPerOrder bool     `yaml:"one_live_payment_per_order"`
	// Backends maps a backend's name to its settings; the setting "kind"
	// names the broker (default: the backend's name), "title" what buyers
	// see, and "expire_after" overrides ExpireAfter for the backend.
	Backends map[string]yaml.Node `yaml:"backends"`
	// Webhooks are the merchant endpoints every event is delivered to.
	Webhooks []webhookConfig `yaml:"webhooks"`
	// ExpireAfter is how long a payment may wait for its broker before it
	// is cancelled as expired ("24h" by default; "0" never).
	ExpireAfter *duration `yaml:"expire_after"`
	// FlagOperationsAfter is how long a money operation may stay in doubt
	// before it is flagged for an operator ("24h" by default).
	FlagOperationsAfter *duration `yaml:"flag_operations_after"`
	// ResumeOperationsAfter is how long a money operation may stay
	// submitting (its broker call running) before the reconciler takes it
	// for one whose process died during the call and asks the broker what
	// became of it ("2m" by default). It must be more than twice the
	// longest timeout of a backend calling its broker over the network (a
	// call may need a token first; the dummy broker and Transferuj have none).
	ResumeOperationsAfter *duration `yaml:"resume_operations_after"`
	// DeliveryTimeout bounds one delivery attempt to a webhook ("10s" by
	// default, at most 5m); a slower endpoint's attempt fails and is retried.
	DeliveryTimeout *duration `yaml:"delivery_timeout"`
	// DeliveryRetries are the waits before each retry of a failed
	// delivery (default 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h); when they run out
	// the delivery is dead.
	DeliveryRetries []duration `yaml:"delivery_retries"`
	// Admin, Metrics and Tracing configure the operator console, /metrics
	// and OpenTelemetry (observe.go).
	Admin   adminConfig   `yaml:"admin"`
	Metrics metricsConfig `yaml:"metrics"`
	Tracing tracingConfig `yaml:"tracing"`

	// ProxyHeader is the header trusted proxies report clients in:
	// X-Forwarded-For (default) or Forwarded (RFC 7239).
	ProxyHeader string `yaml:"proxy_header"`
	// RequireHTTPS refuses JSON API calls and console requests that did
	// not come over https.
	RequireHTTPS bool `yaml:"require_https"`
	// Limits bounds what anyone may make the server spend.
	Limits limitsConfig `yaml:"limits"`

	source string     // the file it was read from, for messages
	root   *yaml.Node // the settings as read, to say where one was set (at)
	// ignoredEnv says which GETPAID_ variables set nothing (a misspelt
	// setting, a backend the file does not enable); serve warns of each.
	ignoredEnv []string
	// baseFromListen: base_url was left out and is http:// + listen
	// (serve puts in the port taken when listen's is 0).
	baseFromListen bool
	// existing opens only a database that exists, never creating or
	// migrating it (the record tools: they read a server's database).
	existing bool
}

// webhookConfig is one merchant endpoint of getpaid.yaml.
type webhookConfig struct {
	URL string `yaml:"url"`
	// Secret signs every request ("whsec_..."); Secrets gives two while one
	// is rotated (both signatures are sent).
	Secret  string   `yaml:"secret"`
	Secrets []string `yaml:"secrets"`
	// Events are the event types sent (default all).
	Events []string `yaml:"events"`
}

// eventsLogged is what serve logs of the events an endpoint gets: "all"
// when the config names none (an empty list would read as none).
func (w webhookConfig) eventsLogged() string {
	if len(w.Events) == 0 {
		return "all"
	}
	return strings.Join(w.Events, ",")
}

// duration is a time.Duration written as "90s", "24h" or "0".
type duration struct{ time.Duration }

// UnmarshalYAML reads a duration string.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		return fmt.Errorf("want a duration like 90s, 30m or 24h, not a list")
	case yaml.MappingNode:
		return fmt.Errorf("want a duration like 90s, 30m or 24h, not a mapping")
	}
	if n.ShortTag() == "!!null" {
		return errNullDuration
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q: want a duration like 90s, 30m or 24h", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("%q: a duration may not be negative", n.Value)
	}
	if v > maxDuration {
		// Added to now, a wait of centuries goes past what a stored time
		// holds (the year 2262) and wraps round into the past.
		return fmt.Errorf("%q: want at most %s (ten years)", n.Value, shortDuration(maxDuration))
	}
	d.Duration = v
	return nil
}

// errNullDuration refuses a duration setting written ~, null or with no
// value: read as left out it took the default (expire_after: ~ was 24h,
// not "never"), and a backend's was refused; every one is refused now, as
// a null list item is.
var errNullDuration = errors.New("want a duration like 90s, 30m or 24h, not nothing (~, null or no value): leave the setting out for its default")

// maxDuration bounds every duration setting of getpaid.yaml.
const maxDuration = 10 * 8760 * time.Hour

// envPrefix marks a YAML node that an environment variable set: its
// LineComment is envPrefix + the variable's name, so an error about the
// value names the variable instead of a line.
const envPrefix = "env:"

// loadConfig reads path strictly (unknown keys are errors) and applies
// environment overrides (see applyEnv). Errors name the file and line, or
// the environment variable.
//
// Each GETPAID_ variable that sets nothing is warned of on warn (nil: not
// warned of; serve logs them instead).
func loadConfig(path string, warn io.Writer) (*fileConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, configFileError(path, err)
	}
	c, err := parseConfigFrom(path, raw, os.Environ())
	if err == nil && warn != nil {
		for _, msg := range c.ignoredEnv {
			fmt.Fprintln(warn, "getpaid: warning: environment: "+msg)
		}
	}
	return c, err
}

// fileError is a config file that cannot be read, said in words (with
// what to do) rather than as the system call's error, which it wraps.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// configFileError says why the config file at path cannot be read.
func configFileError(path string, err error) error {
	where := path
	if abs, aerr := filepath.Abs(path); aerr == nil && abs != path {
		where = path + " (" + abs + ")"
	}
	const todo = `: name your config file with --config FILE (README, "Server mode", shows one)`
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &fileError{"no config file " + where + todo, err}
	case errors.Is(err, syscall.EISDIR):
		return &fileError{"config " + where + " is a folder" + todo, err}
	case errors.Is(err, fs.ErrPermission):
		return &fileError{"config " + where + ": permission denied: run getpaid as a user that may read it, or give it read access", err}
	}
	return fmt.Errorf("config %s: %w", path, err)
}

func parseConfig(raw []byte, env []string) (*fileConfig, error) {
	return parseConfigFrom("config", raw, env)
}

func parseConfigFrom(source string, raw []byte, env []string) (*fileConfig, error) {
	doc, err := readDocument(source, raw)
	if err != nil {
		return nil, err
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: want a mapping of settings (listen:, database:, backends:, ...)", source, root.Line)
	}
	if err := joinedLines(raw, root); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	root, err = expandAliases(root, "", &expansion{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := setTwice(root, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	ignored, err := applyEnv(source, root, env)
	if err != nil {
		return nil, err
	}
	var c fileConfig
	if err := decodeStrict(root, &c, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	c.source, c.root, c.ignoredEnv = source, root, ignored
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8000"
	}
	if c.BaseURL == "" {
		// Brokers are sent absolute URLs made from it: http://0.0.0.0:8000
		// or http://:8000 would reach nobody.
		if host, _, err := net.SplitHostPort(c.Listen); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
			return nil, fmt.Errorf("%s: %s: listen: %s is every interface: set base_url to the URL brokers and buyers reach getpaid at "+
				"(base_url: https://pay.example.com, or GETPAID_BASE_URL), which callback and return URLs are made from",
				source, where(lookupKey(root, "listen")), c.Listen)
		}
		c.BaseURL = "http://" + c.Listen
		c.baseFromListen = true
	} else if err := checkBaseURL(c.BaseURL); err != nil {
		return nil, fmt.Errorf("%s: %s: base_url: %w", source, where(lookupKey(root, "base_url")), err)
	} else if err := consolePath(c.BaseURL); err != nil && len(c.Admin.Users) > 0 {
		return nil, fmt.Errorf("%s: %s: base_url: %w", source, where(lookupKey(root, "base_url")), err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Database == "" {
		return nil, fmt.Errorf("%s: database is required (sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE, or GETPAID_DATABASE)", source)
	}
	if len(c.Backends) == 0 {
		return nil, fmt.Errorf("%s: no backends enabled (backends: {NAME: {settings}})", source)
	}
	return &c, nil
}

// checkBaseURL checks a public base URL: absolute http(s), a host, no query
// or fragment. A path is allowed (getpaid is then served under it).
func checkBaseURL(raw string) error {
	if !strings.Contains(raw, ":/") && !strings.ContainsAny(raw, " \t") {
		// host or host:port without its scheme, the usual slip; url.Parse
		// alone says "first path segment in URL cannot contain colon".
		shown := getpaid.ShownURL(raw)
		return fmt.Errorf("%q: want an absolute http:// or https:// URL (http://%s?)", shown, shown)
	}
	// Messages show it with a password or query value hidden.
	shown := getpaid.ShownURL(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // without the URL, which it quotes whole
		}
		return fmt.Errorf("%q is not a URL: %v", shown, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: want an absolute http:// or https:// URL", shown)
	case u.Hostname() == "": // a port alone (http://:8000) is none
		return fmt.Errorf("%q has no host", shown)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(raw, "?#"):
		// An empty "?" or "#" too: callback URLs made from it would
		// carry their path in it.
		return fmt.Errorf("%q: a base URL has no query, fragment or user", shown)
	case strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]") && !validPort(u.Port()): // a port given (not an IPv6 address's colons)
		return fmt.Errorf("%q: the port %q: want 1 to 65535 (or none, for the scheme's own)", shown, u.Port())
	case u.Hostname() == "" || (net.ParseIP(u.Hostname()) != nil && net.ParseIP(u.Hostname()).IsUnspecified()):
		return fmt.Errorf("%q: %s is not an address a browser or broker can reach; name this machine", shown, u.Host)
	case u.EscapedPath() != u.Path:
		// Served under it, the path is matched as requests carry it and
		// written into links: keep it plain.
		return fmt.Errorf("%q: the path must have nothing to escape (no spaces, %%-escapes or non-ASCII letters)", shown)
	case strings.Contains(u.Path, "//") || slices.Contains(strings.Split(u.Path, "/"), ".") || slices.Contains(strings.Split(u.Path, "/"), ".."):
		// Browsers and proxies send the path cleaned: getpaid, served
		// under it as written, would answer 404 to everything.
		return fmt.Errorf("%q: the path must be plain: no . or .. segments and no //", shown)
	}
	return nil
}

// validPort reports whether p is a TCP port a URL can name: 1 to 65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p == strconv.Itoa(n)
}

// consolePath refuses a base URL (checked) whose path the operator console,
// served under it with its cookies, takes no segment of: one holding
// ; , ' ! * ( or ), which url.PathEscape changes. Without admin users there
// is no console, and such a path serves payments as any other.
func consolePath(base string) error {
	if u, err := url.Parse(base); err == nil && slices.ContainsFunc(strings.Split(u.Path, "/"), func(s string) bool { return url.PathEscape(s) != s }) {
		return fmt.Errorf("%q: the operator console (admin users) is served under its path, which must then hold no ; , ' ! * ( or )", getpaid.ShownURL(base))
	}
	return nil
}

// urlPath is the path of a base URL without its trailing slash: "" for the
// root, "/gp" for https://shop.example/gp/.
func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
}
