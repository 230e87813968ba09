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

// backendKind knows how to build one kind of broker from its settings.
type backendKind struct {
	title      string
	currencies []string // accepted by default
	build      func(name string, settings yaml.Node, baseURL string) (getpaid.Broker, error)
}

// backendKinds is the explicit list of brokers this binary can enable. The
// key of a backend in the config file names its kind.
func backendKinds() map[string]backendKind {
	return map[string]backendKind{
		"dummy": {
			title:      "Dummy broker (test payments)",
			currencies: []string{"PLN", "EUR", "USD", "GBP", "JPY"},
			build: func(name string, s yaml.Node, base string) (getpaid.Broker, error) {
				var cfg dummy.Config
				if err := decodeSettings(name, s, &cfg); err != nil {
					return nil, err
				}
				cfg.PagesURL = base + "/broker/" + name
				return dummy.New(cfg)
			},
		},
		"payu":       payuKind(),
		"przelewy24": przelewy24Kind(),
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
		k, ok := kinds[name]
		if !ok {
			return nil, fmt.Errorf("config: backends.%s: unknown backend (known: %s)", name, strings.Join(kindNames(), ", "))
		}
		b, err := k.build(name, c.Backends[name], c.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("config: backends.%s: %w", name, err)
		}
		list = append(list, getpaid.Backend{Name: name, Title: k.title, Broker: b})
	}
	return getpaid.NewRegistry(list...)
}

// openStore opens the store a database URL names.
func openStore(ctx context.Context, database string, readCache bool) (getpaid.Store, error) {
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(database, "sqlite:"), sqlite.Options{NoCache: !readCache})
	case database == "memory:":
		return memory.New(), nil
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return nil, errors.New("database: PostgreSQL is not supported yet; use sqlite:PATH")
	default:
		return nil, fmt.Errorf("database %q: want sqlite:PATH", database)
	}
}

// server is a wired getpaid: store, engine and HTTP handler.
type server struct {
	store   getpaid.Store
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
	store, err := openStore(ctx, c.Database, c.ReadCache == nil || *c.ReadCache)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: c.BaseURL,
		OneLivePaymentPerOrder: c.OneLivePaymentPerOrder, Logger: log})
	if err != nil {
		store.Close()
		return nil, err
	}
	h, err := httpapi.New(httpapi.Config{Engine: eng, APIKeys: c.APIKeys, TrustedProxies: proxies, Logger: log})
	if err != nil {
		eng.Close()
		store.Close()
		return nil, err
	}
	return &server{store: store, engine: eng, handler: h}, nil
}

func (s *server) Close() {
	s.engine.Close()
	s.store.Close()
}
