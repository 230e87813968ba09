package main

import (
	"fmt"
	"net/http"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/webhook"
)

// engineConfig is the engine's configuration from getpaid.yaml (without
// the store, registry and logger, which the caller adds): webhook endpoints,
// expiry and the reconciler's patience.
func engineConfig(c *fileConfig) (engine.Config, error) {
	cfg := engine.Config{BaseURL: c.BaseURL, OneLivePaymentPerOrder: c.OneLivePaymentPerOrder}
	if c.DeliveryTimeout != nil {
		cfg.DeliveryTimeout = c.DeliveryTimeout.Duration
	}
	client := &http.Client{Timeout: cfg.DeliveryTimeout}
	if client.Timeout <= 0 {
		client.Timeout = 10 * time.Second
	}
	for i, w := range c.Webhooks {
		secrets := w.Secrets
		if w.Secret != "" {
			secrets = append([]string{w.Secret}, secrets...)
		}
		var types []getpaid.EventType
		for _, t := range w.Events {
			types = append(types, getpaid.EventType(t))
		}
		ep, err := webhook.New(webhook.Config{URL: w.URL, Secrets: secrets, Events: types, Client: client})
		if err != nil {
			return cfg, fmt.Errorf("%s: webhooks[%d]: %w", c.source, i, err)
		}
		cfg.Consumers = append(cfg.Consumers, ep)
	}
	if c.ExpireAfter != nil {
		cfg.ExpireAfter = c.ExpireAfter.Duration
		if cfg.ExpireAfter == 0 {
			cfg.ExpireAfter = -1 // never
		}
	}
	if c.FlagOperationsAfter != nil {
		cfg.Reconcile.FlagAfter = c.FlagOperationsAfter.Duration
	}
	cfg.ExpireAfterBackend = map[string]time.Duration{}
	for name, node := range c.Backends {
		d, ok, err := backendExpiry(name, node)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", c.source, err)
		}
		if ok {
			cfg.ExpireAfterBackend[name] = d
		}
	}
	return cfg, nil
}

// backendExpiry reads a backend's expire_after setting.
func backendExpiry(name string, node yaml.Node) (time.Duration, bool, error) {
	if node.Kind != yaml.MappingNode {
		return 0, false, nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value != "expire_after" {
			continue
		}
		var d duration
		if err := d.UnmarshalYAML(node.Content[i+1]); err != nil {
			return 0, false, fmt.Errorf("%s: backends.%s.expire_after: %w", where(node.Content[i+1]), name, err)
		}
		if d.Duration == 0 {
			return -1, true, nil
		}
		return d.Duration, true, nil
	}
	return 0, false, nil
}
