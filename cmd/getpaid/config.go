package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

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
	// names the broker (default: the backend's name) and "title" what buyers
	// see.
	Backends map[string]yaml.Node `yaml:"backends"`
}

// loadConfig reads path strictly (unknown keys are errors) and applies
// environment overrides:
//
//	GETPAID_API_KEYS=k1,k2                  replaces api_keys
//	GETPAID_DATABASE=sqlite:/path           replaces database (or postgres://user:password@host:5432/db)
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
		return nil, errors.New("config: database is required (sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
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
