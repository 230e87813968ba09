package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
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
	// ResumeOperationsAfter is how long a money operation may stay
	// submitting (its broker call running) before the reconciler takes it
	// for one whose process died during the call and asks the broker what
	// became of it ("2m" by default). It must be more than twice the
	// longest backend timeout (a call may need a token first).
	ResumeOperationsAfter *duration `yaml:"resume_operations_after"`
	// DeliveryTimeout bounds one delivery attempt to a webhook ("10s" by
	// default); a slower endpoint's attempt fails and is retried.
	DeliveryTimeout *duration `yaml:"delivery_timeout"`
	// Admin, Metrics and Tracing configure the operator console, /metrics
	// and OpenTelemetry (observe.go).
	Admin   adminConfig   `yaml:"admin"`
	Metrics metricsConfig `yaml:"metrics"`
	Tracing tracingConfig `yaml:"tracing"`
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
//	GETPAID_DATABASE=sqlite:/path           replaces database (or postgres://user:password@host:5432/db)
//	GETPAID_BACKEND_<NAME>_<SETTING>=value  sets one backend setting (e.g. GETPAID_BACKEND_PAYU_PLN_SECOND_KEY;
//	                                        NAME is the backend's name in upper case, "-" written "_")
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

// envName is how a backend's name appears in environment variables: upper
// case, with "-" (which shells cannot name) as "_".
func envName(backend string) string {
	return strings.ToUpper(strings.ReplaceAll(backend, "-", "_"))
}

// override sets NAME_SETTING=value on the backend whose environment name
// (see envName) prefixes the variable, the longest such name winning
// (GETPAID_BACKEND_PAYU_PLN_POS_ID is payu_pln's pos_id even beside a
// backend called payu).
func (c *fileConfig) override(rest, value string) error {
	names := make([]string, 0, len(c.Backends))
	for n := range c.Backends {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	for i, name := range names {
		prefix := envName(name) + "_"
		if !strings.HasPrefix(rest, prefix) {
			continue
		}
		if i+1 < len(names) && envName(names[i+1]) == envName(name) {
			return fmt.Errorf("config: GETPAID_BACKEND_%s: backends %s and %s have the same environment name", rest, name, names[i+1])
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

// decodeSettings decodes one backend's settings strictly into v, a pointer
// to a struct of yaml-tagged fields: a setting v has no field for is an
// error naming it and its line in the config file.
func decodeSettings(node yaml.Node, v any) error {
	if node.Kind == 0 {
		return nil
	}
	if err := checkSettings(&node, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	return node.Decode(v)
}

// checkSettings refuses a key of a mapping node that the struct type t (or
// the struct its pointers and slices hold) has no yaml field for, naming it
// (under prefix) and its line.
func checkSettings(node *yaml.Node, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	switch node.Kind {
	case yaml.SequenceNode:
		for _, item := range node.Content {
			if err := checkSettings(item, t, prefix); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		fields := settingFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			f, ok := fields[k.Value]
			if !ok {
				known := slices.Sorted(maps.Keys(fields))
				return fmt.Errorf("unknown setting %q (line %d; known: %s)", prefix+k.Value, k.Line, strings.Join(known, ", "))
			}
			if err := checkSettings(node.Content[i+1], f.Type, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// settingFields maps the yaml names of a struct's fields to the fields.
func settingFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}
