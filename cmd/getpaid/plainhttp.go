package main

import (
	"net"
	"net/url"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid/httpapi"
)

// trustingEveryone lists the trusted_proxies entries that name every
// address (0.0.0.0/0, ::/0): with one, any client may say who it is in
// proxy_header, so a forged address passes a broker's callback source
// check, escapes the per-address limits and is stored as the buyer's.
// Allowed (a server only a load balancer can reach), but warned of.
func trustingEveryone(proxies []string) []string {
	var out []string
	for _, s := range proxies {
		p, err := httpapi.ParseProxies([]string{s})
		if err == nil && len(p) == 1 && p[0].Bits() == 0 {
			out = append(out, s)
		}
	}
	return out
}

// plainHTTPSettings lists the backend settings (as "backends.NAME.KEY:
// URL") that name a broker URL over plain http on a host other than this
// machine: the backend's credentials would travel in clear. The simulators
// on loopback are fine; on another host they are allowed (a test network)
// but warned of.
func plainHTTPSettings(c *fileConfig) []string {
	var out []string
	names := make([]string, 0, len(c.Backends))
	for name := range c.Backends {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := c.Backends[name]
		if n.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			if v.Kind != yaml.ScalarNode || !strings.HasPrefix(strings.ToLower(v.Value), "http://") {
				continue
			}
			u, err := url.Parse(v.Value)
			if err != nil || isLoopbackHost(u.Hostname()) {
				continue
			}
			out = append(out, "backends."+name+"."+n.Content[i].Value+": "+v.Value)
		}
	}
	return out
}

// isLoopbackHost reports whether host is this machine: localhost or a
// loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainHTTPWebhooks lists the webhook endpoints (their URLs) served over
// plain http on a host other than this machine: the signature proves the
// events are getpaid's, but what they say (orders, amounts, statuses)
// travels in clear. A relay or test receiver on loopback is fine.
func plainHTTPWebhooks(c *fileConfig) []string {
	var out []string
	for _, w := range c.Webhooks {
		u, err := url.Parse(w.URL)
		if err != nil || !strings.EqualFold(u.Scheme, "http") || isLoopbackHost(u.Hostname()) {
			continue
		}
		out = append(out, w.URL)
	}
	return out
}
