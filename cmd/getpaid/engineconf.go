package main

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/webhook"
)

// maxDeliveryTimeout is the longest delivery_timeout taken.
const maxDeliveryTimeout = 5 * time.Minute

// engineConfig is the engine's configuration from getpaid.yaml (without
// the store, registry and logger, which the caller adds): webhook endpoints,
// expiry and the reconciler's patience.
func engineConfig(c *fileConfig) (engine.Config, error) {
	cfg := engine.Config{BaseURL: c.BaseURL, OneLivePaymentPerOrder: c.OneLivePaymentPerOrder}
	if c.DeliveryTimeout != nil {
		cfg.DeliveryTimeout = c.DeliveryTimeout.Duration
		if cfg.DeliveryTimeout == 0 {
			// The engine would take 0 for its default: an attempt is
			// always bounded.
			return cfg, c.settingErr("delivery_timeout", fmt.Errorf("0s: want a positive duration (leave the setting out for the default, 10s)"))
		}
		if cfg.DeliveryTimeout > maxDeliveryTimeout {
			// Each attempt holds one of the endpoint's 64 places in
			// flight, its lease runs as long (+5 s), and a shutdown
			// waits for it: an endpoint that needs minutes to answer
			// should answer 2xx at once and work afterwards.
			return cfg, c.settingErr("delivery_timeout", fmt.Errorf("%s: want at most %s (an endpoint should answer 2xx at once and do its work afterwards; the Standard Webhooks specification suggests 15–30 s)",
				cfg.DeliveryTimeout, strings.TrimSuffix(maxDeliveryTimeout.String(), "0s")))
		}
	}
	if c.DeliveryRetries != nil {
		if len(c.DeliveryRetries) == 0 {
			return cfg, c.settingErr("delivery_retries", fmt.Errorf("want at least one wait (the default is 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h)"))
		}
		for _, d := range c.DeliveryRetries {
			cfg.RetrySchedule = append(cfg.RetrySchedule, d.Duration)
		}
	}
	// One transport for every endpoint, keeping as many idle connections
	// per host as all the endpoints there may have in flight (several
	// endpoints can share a host), and as many in all: Go's default of 100
	// in all would close, after every burst, the connections of endpoints
	// busy together past it, to open them again for the next.
	transport := webhook.NewTransport()
	transport.MaxIdleConnsPerHost = max(1, len(c.Webhooks)) * engine.DefaultDeliveriesInFlight
	transport.MaxIdleConns = transport.MaxIdleConnsPerHost
	client := &http.Client{Timeout: cfg.DeliveryTimeout, Transport: transport}
	if client.Timeout <= 0 {
		client.Timeout = 10 * time.Second
	}
	firstOf := map[string]int{} // url -> index of its entry
	for i, w := range c.Webhooks {
		at := fmt.Sprintf("webhooks[%d]", i)
		if j, dup := firstOf[sameEndpoint(w.URL)]; dup {
			return cfg, c.settingErr(at+".url", fmt.Errorf("%s is webhooks[%d]'s URL too: an endpoint is known by its URL, so list it once (with two secrets while rotating)", getpaid.ShownURL(w.URL), j))
		}
		firstOf[sameEndpoint(w.URL)] = i
		if w.Secret != "" && len(w.Secrets) > 0 {
			return cfg, c.settingErr(at, fmt.Errorf("secret and secrets are both set: give secret, or secrets: [new, old] while rotating"))
		}
		secrets := w.Secrets
		var keys [][]byte
		for j, s := range secrets {
			key, err := webhook.ParseSecret(s)
			if err != nil {
				return cfg, c.settingErr(fmt.Sprintf("%s.secrets[%d]", at, j), err)
			}
			// The same key, whsec_ prefix or not.
			if k := slices.IndexFunc(keys, func(o []byte) bool { return bytes.Equal(o, key) }); k >= 0 {
				return cfg, c.settingErr(fmt.Sprintf("%s.secrets[%d]", at, j), fmt.Errorf("the secret is secrets[%d] again: a rotation signs with the new secret and the old one", k))
			}
			keys = append(keys, key)
		}
		if w.Secret != "" {
			if _, err := webhook.ParseSecret(w.Secret); err != nil {
				return cfg, c.settingErr(at+".secret", err)
			}
			secrets = append([]string{w.Secret}, secrets...)
		}
		if w.Events != nil && len(w.Events) == 0 {
			// The endpoint would read no list as no filter, and get every
			// event its entry says it wants none of.
			return cfg, c.settingErr(at+".events", fmt.Errorf("an empty list; leave the setting out for every event"))
		}
		var types []getpaid.EventType
		for _, t := range w.Events {
			types = append(types, getpaid.EventType(t))
		}
		ep, err := webhook.New(webhook.Config{URL: w.URL, Secrets: secrets, Events: types, Client: client})
		if err != nil {
			return cfg, c.settingErr(at, err)
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
		if cfg.Reconcile.FlagAfter == 0 {
			// The engine would take 0 for its default: not "at once".
			return cfg, c.settingErr("flag_operations_after", fmt.Errorf("0s: want a positive duration (leave the setting out for the default, %s)", shortDuration(24*time.Hour)))
		}
	}
	cfg.ExpireAfterBackend = map[string]time.Duration{}
	for name, node := range c.Backends {
		d, ok, err := backendDuration(name, node, "expire_after")
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", c.source, err)
		}
		if ok {
			if d == 0 {
				d = -1 // never
			}
			cfg.ExpireAfterBackend[name] = d
		}
	}
	longest, longestName, err := longestBrokerTimeout(c)
	if err != nil {
		return cfg, err
	}
	if c.ResumeOperationsAfter != nil {
		cfg.Reconcile.SubmittingAfter = c.ResumeOperationsAfter.Duration
		if d := cfg.Reconcile.SubmittingAfter; d == 0 {
			// The engine would take 0 for its default.
			return cfg, c.settingErr("resume_operations_after", fmt.Errorf("0s: want a positive duration (leave the setting out for the default, %s)", shortDuration(defaultResumeAfter)))
		} else if d <= times(2, longest) {
			return cfg, c.settingErr("resume_operations_after", fmt.Errorf("%s: want more than twice the longest backend timeout (%s of %s), or a call still running would be taken for a dead one", d, longest, longestName))
		}
	} else if times(2, longest) >= defaultResumeAfter {
		// The engine's 2 minutes would take a call still running for a
		// dead one: the default outlasts the longest timeout as a set
		// value must.
		cfg.Reconcile.SubmittingAfter = times(3, longest)
	}
	return cfg, nil
}

// longestBrokerTimeout is the longest timeout of c's backends that call
// their broker over the network (defaultBrokerTimeout for one that sets
// none; 0 when there is none) and the backend's name.
func longestBrokerTimeout(c *fileConfig) (time.Duration, string, error) {
	var longest time.Duration
	longestName := ""
	for name, node := range c.Backends {
		if _, kind, _, err := splitBackend(name, node); err == nil && backendKinds()[kind].untimed {
			continue
		}
		t, ok, err := backendDuration(name, node, "timeout")
		if err != nil {
			return 0, "", fmt.Errorf("%s: %w", c.source, err)
		}
		switch {
		case !ok:
			t = defaultBrokerTimeout
		case t == 0:
			// The brokers take 0 for their default, which an operator
			// writing 0 hardly means: "no timeout" is not on offer.
			return 0, "", c.settingErr("backends."+name+".timeout", fmt.Errorf("0s: want a positive duration (leave the setting out for the default, %s)", shortDuration(defaultBrokerTimeout)))
		}
		if t > longest {
			longest, longestName = t, name
		}
	}
	return longest, longestName, nil
}

// times is n×d, or the longest duration where that overflows (a timeout
// of centuries made it negative, and any resume_operations_after pass).
func times(n int64, d time.Duration) time.Duration {
	if d > time.Duration(math.MaxInt64/n) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n) * d
}

// sameEndpoint is a webhook URL as it reaches its endpoint: the scheme and
// host in lower case, without the scheme's own port, so one endpoint
// written two ways is seen twice (and would get every event twice).
func sameEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		u.Host = u.Hostname()
		if strings.Contains(u.Host, ":") {
			u.Host = "[" + u.Host + "]"
		}
	}
	return u.String()
}

// defaultResumeAfter is the engine's default ReconcileConfig.SubmittingAfter.
const defaultResumeAfter = 2 * time.Minute

// defaultBrokerTimeout is the backends' own default timeout (every backend
// with HTTP calls uses 30 s).
const defaultBrokerTimeout = 30 * time.Second

// backendDuration reads one duration setting of a backend.
func backendDuration(name string, node yaml.Node, key string) (time.Duration, bool, error) {
	if node.Kind != yaml.MappingNode {
		return 0, false, nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value != key {
			continue
		}
		var d duration
		if err := d.UnmarshalYAML(node.Content[i+1]); err != nil {
			return 0, false, fmt.Errorf("%s: backends.%s.%s: %w", where(node.Content[i+1]), name, key, err)
		}
		return d.Duration, true, nil
	}
	return 0, false, nil
}

// shortDuration writes d as getpaid.yaml would: 24h, 2m, 1h30m, not
// 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
