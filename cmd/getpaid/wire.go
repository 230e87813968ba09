package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// backendKind knows how to build one kind of broker from its settings. The
// broker learns its URLs later, when the engine provisions it.
type backendKind struct {
	title      string
	currencies []string // accepted by default
	build      func(name string, settings yaml.Node) (getpaid.Broker, error)
}

// backendKinds is the explicit list of brokers this binary can enable. A
// backend's "kind" setting names one; it defaults to the backend's name.
func backendKinds() map[string]backendKind {
	return map[string]backendKind{
		"dummy": {
			title:      "Dummy broker (test payments)",
			currencies: []string{"PLN", "EUR", "USD", "GBP", "JPY"},
			build: func(name string, s yaml.Node) (getpaid.Broker, error) {
				var cfg dummy.Config
				if err := decodeSettings(name, s, &cfg); err != nil {
					return nil, err
				}
				return dummy.New(cfg)
			},
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
		settings, kind, title, err := splitBackend(name, c.Backends[name])
		if err != nil {
			return nil, err
		}
		k, ok := kinds[kind]
		if !ok {
			return nil, fmt.Errorf("config: backends.%s: unknown kind %q (known: %s)", name, kind, strings.Join(kindNames(), ", "))
		}
		b, err := k.build(name, settings)
		if err != nil {
			return nil, fmt.Errorf("config: backends.%s: %w", name, err)
		}
		if title == "" {
			title = k.title
		}
		list = append(list, getpaid.Backend{Name: name, Kind: kind, Title: title, Broker: b})
	}
	return getpaid.NewRegistry(list...)
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
		return node, "", "", fmt.Errorf("config: backends.%s (line %d): want a mapping of settings", name, node.Line)
	}
	rest := node
	rest.Content = nil
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		switch k.Value {
		case "kind":
			kind = v.Value
		case "title":
			title = v.Value
		case "expire_after":
			// read by backendExpiry
		default:
			rest.Content = append(rest.Content, k, v)
		}
	}
	return rest, kind, title, nil
}

// openStore opens the store a database URL names.
func openStore(ctx context.Context, database string) (getpaid.Store, error) {
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(database, "sqlite:"), sqlite.Options{})
	case database == "memory:":
		return memory.New(), nil
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return nil, errors.New("database: PostgreSQL is not supported yet; use sqlite:PATH")
	default:
		return nil, fmt.Errorf("database %q: want sqlite:PATH", database)
	}
}

// server is a wired getpaid: store, brokers, engine and HTTP handler.
type server struct {
	store   getpaid.Store
	reg     *getpaid.Registry
	engine  *engine.Engine
	handler http.Handler
}

func buildServer(ctx context.Context, c *fileConfig, log *slog.Logger) (*server, error) {
	reg, err := buildRegistry(c)
	if err != nil {
		return nil, err
	}
	proxies, err := httpapi.ParseProxies(c.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("config: trusted_proxies: %w", err)
	}
	store, err := openStore(ctx, c.Database)
	if err != nil {
		_ = reg.Close()
		return nil, err
	}
	srv := &server{store: store, reg: reg}
	ecfg, err := engineConfig(c)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	ecfg.Store, ecfg.Registry, ecfg.Logger = store, reg, log
	srv.engine, err = engine.New(ecfg)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	limits, err := c.Limits.httpLimits()
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	srv.handler, err = httpapi.New(httpapi.Config{Service: srv.engine, APIKeys: c.APIKeys, TrustedProxies: proxies,
		ProxyHeader: c.ProxyHeader, RequireHTTPS: c.RequireHTTPS, Limits: limits, Logger: log})
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
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
	return errors.Join(errs...)
}
