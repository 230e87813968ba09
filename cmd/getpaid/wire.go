package main

import (
	"reflect"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/metrics"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/sqlite"
)

// backendKind knows how to build one kind of broker from its settings. The
// broker learns its URLs later, when the engine provisions it.
type backendKind struct {
	title      string
	currencies []string // accepted by default
	build      func(name string, settings yaml.Node) (getpaid.Broker, error)
	// settings is the Config build decodes the settings into: its YAML
	// keys, with kind, title and expire_after, are the kind's settings.
	settings reflect.Type
	// untimed: it makes no money operation over the network (the dummy
	// broker answers in process; the Transferuj form only fetches
	// notification certificates), so it has no "timeout" and does not
	// bound resume_operations_after.
	untimed bool
}

// backendKinds is the explicit list of brokers this binary can enable. A
// backend's "kind" setting names one; it defaults to the backend's name.
func backendKinds() map[string]backendKind {
	return map[string]backendKind{
		"dummy": {
			title:      "Dummy broker (test payments)",
			currencies: []string{"PLN", "EUR", "USD", "GBP", "JPY"},
			settings:   reflect.TypeFor[dummy.Config](),
			build: func(name string, s yaml.Node) (getpaid.Broker, error) {
				var cfg dummy.Config
				if err := decodeSettings(name, s, &cfg); err != nil {
					return nil, err
				}
				return dummy.New(cfg)
			},
			untimed: true,
		},
		"dotpay":     dotpayKind(),
		"payu":       payuKind(),
		"przelewy24": przelewy24Kind(),
		"tpay":       tpayKind(),
		"transferuj": transferujKind(),
	}
}

func kindNames() []string {
	var names []string
	for n := range backendKinds() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// buildRegistry builds the enabled backends in name order.
func buildRegistry(c *fileConfig) (*getpaid.Registry, error) {
	kinds := backendKinds()
	names := make([]string, 0, len(c.Backends))
	for n := range c.Backends {
		names = append(names, n)
	}
	sort.Strings(names)
	var list []getpaid.Backend
	for _, name := range names {
		node := c.Backends[name]
		settings, kind, title, err := splitBackend(name, node)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.source, err)
		}
		kindAt := &node // where the kind comes from: its setting, else the backend's name
		if kn := lookupKey(&node, "kind"); kn != nil {
			kindAt = kn
		}
		k, ok := kinds[kind]
		if !ok {
			hint := ""
			for _, known := range kindNames() {
				if kindAt == &node && (strings.HasPrefix(name, known+"_") || strings.HasPrefix(name, known+"-")) {
					// payu_eur beside payu, as the README shows it, without its kind.
					hint = "; a backend's kind is its name unless it sets kind: add kind: " + known
				}
			}
			return nil, fmt.Errorf("%s: backends.%s (%s): unknown kind %q (known: %s)%s", c.source, name, where(kindAt), kind, strings.Join(kindNames(), ", "), hint)
		}
		var b getpaid.Broker
		if err = emptyCurrencies(&settings); err == nil {
			b, err = k.build(name, settings)
		}
		if err == nil {
			err = distinctCurrencies(b)
		}
		if err == nil {
			// The registry's own checks (the name's rule), on this backend
			// alone, so an error names its line.
			_, err = getpaid.NewRegistry(getpaid.Backend{Name: name, Kind: kind, Broker: b})
		}
		var se *settingError
		if errors.As(err, &se) && kind != name && strings.Contains(se.Error(), "unknown setting backends."+name+".") {
			// Settings of another kind (kind: payu where dummy was meant):
			// the known ones listed are the kind's.
			from := ""
			if v, ok := strings.CutPrefix(kindAt.LineComment, envPrefix); ok {
				from = ", from " + v // not the kind the file says
			}
			err = &settingError{errors.New(strings.Replace(se.Error(), "(known: ", "(kind "+kind+from+"; known: ", 1))}
		}
		if errors.As(err, &se) && kind == "transferuj" && strings.Contains(se.Error(), "unknown setting backends."+name+".sandbox ") {
			// sandbox: true copied from the other backends' blocks.
			err = &settingError{errors.New(se.Error() + "; Transferuj has one host, https://secure.tpay.com: a test merchant (its merchant_id and security_code) is its sandbox")}
		}
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: %w", c.source, err)
		case err != nil:
			return nil, fmt.Errorf("%s: backends.%s (%s): %w", c.source, name, backendWhere(&node, err), err)
		}
		if title == "" {
			title = k.title
		}
		list = append(list, getpaid.Backend{Name: name, Kind: kind, Title: title, Broker: b})
	}
	reg, err := getpaid.NewRegistry(list...)
	if err != nil {
		return nil, fmt.Errorf("%s: backends: %w", c.source, err)
	}
	return reg, nil
}

// emptyCurrencies refuses "currencies: []": a broker reads no list as its
// default currencies, so an empty one would quietly accept them all; and a
// code in lower case ("pln"), saying how it is written.
func emptyCurrencies(settings *yaml.Node) error {
	for i := 0; i+1 < len(settings.Content); i += 2 {
		k, v := settings.Content[i], settings.Content[i+1]
		if k.Value != "currencies" {
			continue
		}
		var codes []string
		switch {
		case v.Kind == yaml.SequenceNode && len(v.Content) == 0:
			return errors.New("currencies: an empty list; leave the setting out for the broker's default currencies")
		case v.Kind == yaml.SequenceNode:
			for _, c := range v.Content {
				codes = append(codes, c.Value)
			}
		case v.Kind == yaml.ScalarNode && strings.HasPrefix(v.LineComment, envPrefix): // GETPAID_BACKEND_X_CURRENCIES=PLN,EUR
			codes = strings.Split(v.Value, ",")
		}
		for _, c := range codes {
			// "pln": each broker says only "unknown currency".
			c = strings.TrimSpace(c)
			if up := strings.ToUpper(c); up != c && getpaid.KnownCurrency(up) {
				return fmt.Errorf("currencies: %q: ISO 4217 codes are upper case: %s", c, up)
			}
		}
	}
	return nil
}

// distinctCurrencies refuses a backend that lists a currency twice (the
// registry would too, without saying where the list is).
func distinctCurrencies(b getpaid.Broker) error {
	cs := b.Currencies()
	for i, c := range cs {
		if slices.Contains(cs[:i], c) {
			return fmt.Errorf("currencies: %s listed twice", c)
		}
	}
	return nil
}

// backendWhere says where the setting a backend's error is about came
// from: its line, or the environment variable that set it, when the error
// names one of the backend's settings; else the backend's line, and the
// variables that set any of its settings.
func backendWhere(node *yaml.Node, err error) string {
	var vars []string
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(k.Value) + `\b`).MatchString(err.Error()) {
			return where(v)
		}
		if name, ok := strings.CutPrefix(v.LineComment, envPrefix); ok {
			vars = append(vars, name)
		}
	}
	if len(vars) == 0 {
		return where(node)
	}
	return where(node) + ", with " + strings.Join(vars, ", ") + " from the environment"
}

// splitBackend takes the settings every backend has ("kind", which defaults
// to the backend's name, "title", shown to buyers, and "expire_after") out
// of a backend's mapping, leaving the broker's own settings.
func splitBackend(name string, node yaml.Node) (settings yaml.Node, kind, title string, err error) {
	kind = name
	if node.Kind == 0 {
		return node, kind, "", nil
	}
	if node.Kind != yaml.MappingNode {
		return node, "", "", fmt.Errorf("backends.%s (%s): want a mapping of settings", name, where(&node))
	}
	rest := node
	rest.Content = nil
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		switch k.Value {
		case "kind", "title", "expire_after":
			// The broker's own settings are checked by decodeSettings;
			// these are checked here, as strictly.
			if seen[k.Value] {
				return node, "", "", fmt.Errorf("%s: backends.%s.%s is set twice", where(k), name, k.Value)
			}
			seen[k.Value] = true
			if v.Kind != yaml.ScalarNode || (k.Value == "kind" && (v.Value == "" || v.ShortTag() == "!!null")) {
				return node, "", "", fmt.Errorf("%s: backends.%s.%s: want one value, not %s", where(v), name, k.Value, describeNode(v))
			}
		}
		switch k.Value {
		case "kind":
			kind = v.Value
		case "title":
			if v.ShortTag() != "!!null" { // ~: none, the broker's own title, not "~" shown to buyers
				title = v.Value
			}
		case "expire_after":
			// read by engineConfig
		default:
			rest.Content = append(rest.Content, k, v)
		}
	}
	return rest, kind, title, nil
}

// describeNode names what a YAML value is, for messages.
func describeNode(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Tag == "!!null" || n.Value == "":
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

// openStore opens the store a database URL names. SQLite is migrated on
// open (one process owns the file); PostgreSQL never is: several processes
// share it, and its schema changes once, with "getpaid migrate", before they
// start. A schema this getpaid does not match is refused with
// getpaid.ErrSchemaOutdated or getpaid.ErrSchemaNewer.
func openStore(ctx context.Context, database string, opts ...sqlite.Options) (getpaid.Store, error) {
	if err := postgresBlanks(database); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		file := strings.TrimPrefix(database, "sqlite:")
		if err := sqliteFolderExists(database, file); err != nil {
			return nil, err
		}
		var o sqlite.Options
		if len(opts) > 0 {
			o = opts[0]
		}
		return sqlite.Open(ctx, file, o)
	case database == "memory:":
		return memory.New(), nil
	case isPostgres(database):
		s, err := postgres.Open(ctx, database, postgres.Options{NoMigrate: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", redact(database), err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("%q: want sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE", redact(database))
	}
}

// migrateStore applies the pending migrations of the database a URL names
// and returns the versions applied.
func migrateStore(ctx context.Context, database string) ([]int64, error) {
	if err := postgresBlanks(database); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		file := strings.TrimPrefix(database, "sqlite:")
		if err := sqliteFolderExists(database, file); err != nil {
			return nil, err
		}
		return sqlite.Migrate(ctx, file, sqlite.Options{})
	case isPostgres(database):
		applied, err := postgres.Migrate(ctx, database)
		if err != nil {
			return applied, fmt.Errorf("%s: %w", redact(database), err)
		}
		return applied, nil
	case database == "memory:":
		return nil, nil
	}
	return nil, fmt.Errorf("%q: want sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE", redact(database))
}

// sqliteFolderExists refuses a SQLite file whose folder does not exist:
// getpaid creates the file, never the folders above it.
func sqliteFolderExists(database, file string) error {
	if err := sqlitePath(database, file); err != nil {
		return err
	}
	if dir := filepath.Dir(file); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: the folder %s does not exist; create it (getpaid creates the file and its tables)", database, dir)
		}
	}
	return nil
}

// sqlitePath refuses a SQLite path that is blank (SQLite would open the
// working folder, or create a file named " ") or has blanks around it
// ("sqlite:/var/lib/getpaid.db " would make a file whose name ends in one).
func sqlitePath(database, file string) error {
	switch {
	case strings.TrimSpace(file) == "":
		return fmt.Errorf("%q: sqlite: no path after \"sqlite:\" (want sqlite:/var/lib/getpaid/getpaid.db)", database)
	case strings.TrimSpace(file) != file:
		return fmt.Errorf("%q: sqlite: the path has blanks around it (want sqlite:/var/lib/getpaid/getpaid.db, nothing between \"sqlite:\" and the path)", database)
	}
	return nil
}

// postgresBlanks refuses a PostgreSQL URL with blanks or a line break
// around it, as GETPAID_DATABASE set from a secret file that ends in a
// newline has: pgx would read it into the database's name or a parameter.
// It refuses a scheme not in lower case too (POSTGRES://, SQLite:), which
// neither pgx nor getpaid reads, and which the redacted URL of any later
// message would show lowered, as if it were right.
func postgresBlanks(database string) error {
	if t := strings.TrimSpace(database); t != database && isPostgres(t) {
		return fmt.Errorf("%q: blanks or a line break around the URL (the last newline of a secret file?): remove them", redact(database))
	}
	for _, scheme := range []string{"postgres://", "postgresql://", "sqlite:"} {
		if len(database) >= len(scheme) && strings.EqualFold(database[:len(scheme)], scheme) && database[:len(scheme)] != scheme {
			return fmt.Errorf("%s…: write the scheme in lower case (%s)", database[:len(scheme)], scheme)
		}
	}
	return nil
}

// isPostgres reports whether a database URL names PostgreSQL.
func isPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// afterAuthority is what follows a URL's user and host part as Go's parser
// ends it: from the first /, ? or # after "://" (nothing without "://").
func afterAuthority(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[i:]
	}
	return ""
}

// redact hides the password of a database URL, for messages: the one in
// its user part and a password= or sslpassword= parameter (its name
// decoded, as pgx reads it); one that does not parse, or that Go reads
// without the user part pgx finds in it, loses everything up to its last @
// and its parameters.
func redact(database string) string {
	u, err := url.Parse(database)
	// pgx (as libpq) ends a user part at an @ before the first /, so a ?
	// or # in a password is the password's, where Go's parser ends the
	// user part there: "postgres://u:5432?secret@db/g" parses, with no
	// user, a port of 5432 and the password in the query.
	//
	// And an @ after the end of the user and host part Go read (at its
	// first /, ? or #) may be where pgx ends a password holding both:
	// "postgres://u:p@ss?word@db/g" parses with the user u:p, a host ss
	// and the query word@db/g.
	misread := err == nil && strings.Contains(database, "@") && (u.User == nil || strings.Contains(afterAuthority(database), "@"))
	if err != nil || u.Scheme == "" || misread {
		scheme, rest, ok := strings.Cut(database, "://")
		if !ok {
			if strings.Contains(strings.ToLower(database), "password") {
				return "(not shown: it holds a password)"
			}
			if at := strings.LastIndex(database, "@"); at >= 0 && !strings.HasPrefix(database, "sqlite:") {
				// A scheme mistyped or left out ("postgres:/u:pw@db/g",
				// "u:pw@db/g"): the user part ends at the @ all the same.
				prefix := schemeTypo.FindString(database[:at])
				database = prefix + "xxxxx" + database[at:]
				if i := strings.IndexAny(database, "?#&"); i >= 0 {
					database = database[:i]
				}
			}
			return database
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = "xxxxx" + rest[at:]
		}
		if i := strings.IndexAny(rest, "?#&"); i >= 0 {
			rest = rest[:i]
		}
		if strings.Contains(strings.ToLower(rest), "password") {
			return "(not shown: it holds a password)"
		}
		return scheme + "://" + rest
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	params := strings.Split(u.RawQuery, "&")
	for i, p := range params {
		k, _, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if name = strings.ToLower(name); name == "password" || name == "sslpassword" {
			params[i] = k + "=xxxxx"
		}
	}
	u.RawQuery = strings.Join(params, "&")
	return u.String()
}

// schemeTypo is what starts a database URL as its scheme would ("postgres:/",
// "postgres:", or a user's name before its password's colon): redact keeps
// it, to show the slip, and hides what follows up to the @.
var schemeTypo = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:/*`)

// schemaAdvice explains what to do about a database schema this getpaid
// does not match, or returns err as it is.
func schemaAdvice(err error, config string) error {
	switch {
	case errors.Is(err, getpaid.ErrSchemaOutdated):
		return fmt.Errorf("%w\nthe database schema is older than this getpaid: run \"getpaid migrate --config %s\" once (from one place, with this getpaid), then start the servers again", err, config)
	case errors.Is(err, getpaid.ErrSchemaNewer):
		return fmt.Errorf("%w\nthe database was migrated by a newer getpaid: run that version (or a later one) of getpaid; this one cannot use the database", err)
	}
	return err
}

// server is a wired getpaid: store, brokers, engine and HTTP handler, with
// its metrics, tracing and console (observe.go).
type server struct {
	base    string // where the handler is reachable (Config.BaseURL)
	store   getpaid.Store
	reg     *getpaid.Registry
	engine  *engine.Engine
	handler http.Handler
	// webhooks are the merchant endpoints events go to (for the start log).
	webhooks []webhookConfig
	obs      *observability
	// cfg is the configuration it was built from (observe.go reads it).
	cfg *fileConfig
	// log is the logger it was built with, adding trace ids when tracing
	// is on.
	log *slog.Logger
	// metricsLn is metrics.listen's listener when serve took it before
	// building the server (nil: serveMetrics listens itself).
	metricsLn net.Listener
}

// checked is what checkConfig derives from a file it accepts.
type checked struct {
	engine  engine.Config
	limits  httpapi.Limits
	proxies []netip.Prefix
}

// checkConfig refuses what in c a server would refuse before it opens the
// database, and returns what it derived: serve and the record tools build
// the server from it, and the tools that read the file without one
// (backends, config, migrate) check it too, so a file they accept is one
// serve starts with (serve alone also wants api_keys, as it alone answers
// the JSON API).
func checkConfig(c *fileConfig) (checked, error) {
	var k checked
	if err := checkServerConfig(c); err != nil {
		return k, err
	}
	var err error
	if k.engine, err = engineConfig(c); err != nil {
		return k, err
	}
	if k.limits, err = c.Limits.httpLimits(); err != nil {
		return k, c.settingErr("limits", err)
	}
	if k.proxies, err = httpapi.ParseProxies(c.TrustedProxies); err != nil {
		return k, c.settingErr("trusted_proxies", err)
	}
	return k, nil
}

// checkedRegistry is checkConfig, then the backends built (buildRegistry)
// and what can be checked only with them: the body limits against the
// largest callback body each backend takes. The caller closes the registry.
func checkedRegistry(c *fileConfig) (checked, *getpaid.Registry, error) {
	k, err := checkConfig(c)
	if err != nil {
		return k, nil, err
	}
	reg, err := buildRegistry(c)
	if err != nil {
		return k, nil, err
	}
	if err := httpapi.CheckLimits(k.limits, reg); err != nil {
		_ = reg.Close()
		return k, nil, c.settingErr(limitsSetting(err))
	}
	return k, reg, nil
}

// buildServer wires the server c describes; tune, if given, adjusts the
// engine's configuration before the engine is made.
func buildServer(ctx context.Context, c *fileConfig, log *slog.Logger, tune ...func(*engine.Config)) (*server, error) {
	// Everything the config can get wrong is refused before the database
	// is opened (on SQLite: created or migrated) and the engine started.
	k, reg, err := checkedRegistry(c)
	if err != nil {
		return nil, err
	}
	ecfg, limits, proxies := k.engine, k.limits, k.proxies
	obs := &observability{metrics: metrics.New(metrics.Config{Backends: reg.Names(), Logger: log}), calls: admin.NewCallbackLog(20, reg.Names())}
	if err := obs.openAudit(c); err != nil {
		_ = reg.Close()
		return nil, err
	}
	if obs.tracer, log, err = startTracing(ctx, c, log); err != nil {
		_ = reg.Close()
		_ = obs.close()
		return nil, err
	}
	opts := obs.storeOptions()
	if c.existing {
		if err := databaseExists(c.Database); err != nil {
			_ = reg.Close()
			_ = obs.close()
			return nil, c.settingErr("database", err)
		}
		opts.NoMigrate = true
	}
	store, err := openStore(ctx, c.Database, opts)
	if err != nil {
		_ = reg.Close()
		_ = obs.close()
		return nil, c.settingErr("database", err)
	}
	if br, ok := store.(getpaid.BacklogReporter); ok {
		obs.metrics.WatchBacklog(br)
	}
	srv := &server{base: c.BaseURL, store: store, reg: reg, webhooks: c.Webhooks, obs: obs, cfg: c, log: log}
	if obs.tracer != nil {
		store = obs.tracer.Store(store)
	}
	ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.Hooks = store, reg, log, obs.hooks()
	for _, f := range tune {
		f(&ecfg)
	}
	srv.engine, err = engine.New(ecfg)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	api, err := httpapi.New(httpapi.Config{Service: srv.engine, APIKeys: c.APIKeys, TrustedProxies: proxies,
		ProxyHeader: c.ProxyHeader, RequireHTTPS: c.RequireHTTPS, Limits: limits, Logger: log, OnCallback: obs.onCallback})
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	if srv.handler, err = obs.routes(c, srv, api, log); err != nil {
		_ = srv.Close()
		return nil, err
	}
	if prefix := urlPath(c.BaseURL); prefix != "" {
		// base_url https://shop.example/gp: every route is served under
		// /gp, as a proxy forwarding that path sends it.
		srv.handler = httpapi.Under(prefix, srv.handler)
	}
	srv.handler = hsts(api, answerOptionsStar(srv.handler))
	return srv, nil
}

// Close stops the engine, then the brokers (their retry loops and
// connections), then the store, and reports every error.
func (s *server) Close() error {
	var errs []error
	if s.engine != nil {
		errs = append(errs, s.engine.Close())
	}
	errs = append(errs, s.reg.Close(), s.store.Close())
	if s.obs != nil {
		errs = append(errs, s.obs.close())
	}
	return errors.Join(errs...)
}
