package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// limitsConfig is the limits: section of getpaid.yaml: what anyone may make
// the server spend (see httpapi.Limits). Absent settings take the defaults.
type limitsConfig struct {
	// MaxHeaderBytes bounds a request's line and headers (default 16KiB).
	MaxHeaderBytes byteSize `yaml:"max_header_bytes"`
	// CallbackBody caps callback bodies per backend name, overriding the
	// broker's own bound.
	CallbackBody     map[string]byteSize `yaml:"callback_body"`
	FormBody         byteSize            `yaml:"form_body"`
	APIBody          byteSize            `yaml:"api_body"`
	BodyBudget       byteSize            `yaml:"body_budget"`
	AddressBudget    byteSize            `yaml:"address_budget"`
	BodyReads        int                 `yaml:"body_reads"`
	BodyTimeout      *duration           `yaml:"body_timeout"`
	AuthFailures     int                 `yaml:"auth_failures"`
	CallbackRefusals int                 `yaml:"callback_refusals"`
	Window           *duration           `yaml:"window"`
	// Connections bounds the connections open at once, and
	// ConnectionsPerAddress those of one client address (see
	// edge.ConnLimitConfig); beyond them a new one is answered 503.
	Connections           int `yaml:"connections"`
	ConnectionsPerAddress int `yaml:"connections_per_address"`
}

// defaultMaxHeaderBytes is every getpaid server's bound on a request's line
// and headers: brokers and API clients send well under 2 KiB, browsers a few
// KiB of cookies (net/http's own default is 1 MiB).
const defaultMaxHeaderBytes = 16 << 10

// httpLimits converts the section to the handler's limits.
func (l limitsConfig) httpLimits() (httpapi.Limits, error) {
	if l.BodyReads < 0 || l.AuthFailures < 0 || l.CallbackRefusals < 0 || l.Connections < 0 || l.ConnectionsPerAddress < 0 {
		return httpapi.Limits{}, fmt.Errorf("counts may not be negative")
	}
	out := httpapi.Limits{FormBytes: int64(l.FormBody), APIBytes: int64(l.APIBody), BodyBudget: int64(l.BodyBudget),
		AddressBudget: int64(l.AddressBudget),
		BodyReads:     l.BodyReads, AuthFailures: l.AuthFailures, CallbackRefusals: l.CallbackRefusals}
	if len(l.CallbackBody) > 0 {
		out.CallbackBytes = map[string]int64{}
		for name, n := range l.CallbackBody {
			if n == 0 {
				return out, fmt.Errorf("callback_body.%s must be positive", name)
			}
			out.CallbackBytes[name] = int64(n)
		}
	}
	if l.BodyTimeout != nil {
		out.BodyTimeout = l.BodyTimeout.Duration
	}
	if l.Window != nil {
		out.Window = l.Window.Duration
	}
	return out, nil
}

// limitsWords says httpapi's limits as getpaid.yaml's settings: its
// errors name Limits' Go fields (BodyBudget, APIBytes), which no operator
// writes.
var limitsWords = strings.NewReplacer("httpapi: ", "",
	"(BodyBudget, ", "(", "(AddressBudget, ", "(", // the setting the error is about
	"(APIBytes)", "(limits.api_body)", "(FormBytes)", "(limits.form_body)",
	"Limits.CallbackBytes[", "limits.callback_body[", "Limits.CallbackBytes", "limits.callback_body")

// limitsSetting is the setting an error of httpapi.CheckLimits is about,
// and the error in getpaid.yaml's words, for settingErr.
func limitsSetting(err error) (string, error) {
	msg := err.Error()
	setting := "limits"
	switch {
	case strings.Contains(msg, "(BodyBudget, "):
		setting = "limits.body_budget"
	case strings.Contains(msg, "(AddressBudget, "):
		setting = "limits.address_budget"
	case strings.Contains(msg, "Limits.CallbackBytes"):
		setting = "limits.callback_body"
	}
	return setting, errors.New(limitsWords.Replace(msg))
}

// server tunes the HTTP server of getpaid serve.
func (l limitsConfig) server(hs *http.Server) {
	if l.MaxHeaderBytes > 0 {
		hs.MaxHeaderBytes = int(l.MaxHeaderBytes)
	}
}

// listener bounds the connections ln keeps open as the section says: the
// trusted proxies, through which every client comes, count in the total
// only. A refusal is logged once a window (busy servers refuse many).
func (l limitsConfig) listener(ln net.Listener, proxies []netip.Prefix, log *slog.Logger) net.Listener {
	var window time.Duration
	if l.Window != nil {
		window = l.Window.Duration
	}
	gate := edge.NewGate(window, nil)
	return edge.LimitListener(ln, edge.ConnLimitConfig{Total: l.Connections, PerAddress: l.ConnectionsPerAddress, Exempt: proxies,
		Refused: func(addr string, total bool) {
			ok, missed := gate.Allow()
			if !ok {
				return
			}
			msg, setting := "a connection refused: one address holds its share", "limits.connections_per_address"
			if total {
				msg, setting = "a connection refused: the server holds as many as it may", "limits.connections"
			}
			log.Warn(msg+" (503; logged once a window)", "addr", addr, "setting", setting, "refused_unlogged_before", missed)
		}})
}

// byteSize is a size written as bytes (16384) or with a binary unit
// ("16KiB", "1MiB").
type byteSize int64

// UnmarshalYAML reads a size.
func (b *byteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q: %w", n.Line, n.Value, err)
	}
	*b = v
	return nil
}

func parseByteSize(s string) (byteSize, error) {
	s = strings.TrimSpace(s)
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("want a size like 16384, 64KiB or 32MiB")
	}
	return byteSize(n * mult), nil
}

// withHeaderLimit is the default tuning of every getpaid HTTP server.
func withHeaderLimit(hs *http.Server) {
	if hs.MaxHeaderBytes == 0 {
		hs.MaxHeaderBytes = defaultMaxHeaderBytes
	}
}
