package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
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
	// DeliveryTimeout bounds one delivery attempt to a webhook ("10s" by
	// default); a slower endpoint's attempt fails and is retried.
	DeliveryTimeout *duration `yaml:"delivery_timeout"`
	// ProxyHeader is the header trusted proxies report clients in:
	// X-Forwarded-For (default) or Forwarded (RFC 7239).
	ProxyHeader string `yaml:"proxy_header"`
	// RequireHTTPS refuses JSON API calls that did not come over https.
	RequireHTTPS bool `yaml:"require_https"`
	// Limits bounds what anyone may make the server spend.
	Limits limitsConfig `yaml:"limits"`
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

// duration is a time.Duration written as "90s", "24h" or "0".
type duration struct{ time.Duration }

// UnmarshalYAML reads a duration string.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q: want a duration like 90s, 30m or 24h", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: %q: a duration may not be negative", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// loadConfig reads path strictly (unknown keys are errors) and applies
// environment overrides:
//
//	GETPAID_API_KEYS=k1,k2                  replaces api_keys
//	GETPAID_DATABASE=sqlite:/path           replaces database
//	GETPAID_BACKEND_<NAME>_<SETTING>=value  sets one backend setting (e.g. GETPAID_BACKEND_PAYU_SECOND_KEY)
func loadConfig(path string) (*fileConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(raw, os.Environ())
}

func parseConfig(raw []byte, env []string) (*fileConfig, error) {
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "GETPAID_API_KEYS":
			c.APIKeys = strings.Split(v, ",")
		case k == "GETPAID_DATABASE":
			c.Database = v
		case strings.HasPrefix(k, "GETPAID_BACKEND_"):
			if err := c.override(strings.TrimPrefix(k, "GETPAID_BACKEND_"), v); err != nil {
				return nil, err
			}
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8000"
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Database == "" {
		return nil, errors.New("config: database is required (sqlite:PATH)")
	}
	if len(c.Backends) == 0 {
		return nil, errors.New("config: no backends enabled")
	}
	return &c, nil
}

// override sets NAME_SETTING=value on the backend whose upper-cased name
// prefixes the variable.
func (c *fileConfig) override(rest, value string) error {
	names := make([]string, 0, len(c.Backends))
	for n := range c.Backends {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, name := range names {
		prefix := strings.ToUpper(name) + "_"
		if !strings.HasPrefix(rest, prefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(rest, prefix))
		val := &yaml.Node{Kind: yaml.ScalarNode, Value: value} // untagged: numbers and bools decode too
		switch strings.ToLower(value) {
		case "", "~", "null":
			val.Tag = "!!str" // a secret spelled "null" is that string, not nothing
		}
		node := c.Backends[name]
		if node.Kind == 0 {
			node = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		if node.Kind != yaml.MappingNode {
			return fmt.Errorf("config: backends.%s must be a mapping", name)
		}
		set := false
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == key {
				node.Content[i+1] = val
				set = true
			}
		}
		if !set {
			node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
		}
		c.Backends[name] = node
		return nil
	}
	return nil // a variable for a backend that is not enabled is ignored
}

// decodeSettings decodes one backend's settings strictly into v.
func decodeSettings(name string, node yaml.Node, v any) error {
	if node.Kind == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&node); err != nil {
		return fmt.Errorf("backends.%s: %w", name, err)
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("backends.%s: %w", name, err)
	}
	return nil
}
