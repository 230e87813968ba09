package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/tracing"
)

// hashTime says about how long a bcrypt comparison at cost takes: a
// quarter of a second at admin.HashCost, doubling with each step.
func hashTime(cost int) string {
	d := time.Second / 4 << (cost - admin.HashCost)
	if d >= time.Minute {
		return "about " + shortDuration(d.Round(time.Minute))
	}
	return "about " + shortDuration(d.Round(time.Second))
}

// databaseExists refuses a SQLite database whose file does not exist, and
// a memory: one, for the tools that read a server's database: they would
// create an empty one and report nothing, where the path is wrong.
func databaseExists(database string) error {
	if database == "memory:" {
		// Not the server's: an empty one of the tool's own.
		return errors.New(`"memory:" lives in the memory of the process that opens it: a tool cannot read a server's; name the server's sqlite: or postgres:// database`)
	}
	file, ok := strings.CutPrefix(database, "sqlite:")
	if !ok {
		return nil
	}
	if err := sqlitePath(database, file); err != nil {
		return err
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("%s: %w (getpaid serve or getpaid migrate creates it; is the path right?)", database, err)
	}
	return nil
}

// checkServerConfig checks the settings that only the handler, the console
// and serve would refuse, so that a bad one is refused before anything is
// opened: the proxy header, the API keys and the console's users.
func checkServerConfig(c *fileConfig) error {
	switch strings.ToLower(c.ProxyHeader) {
	case "", "x-forwarded-for", "forwarded":
	default:
		return c.settingErr("proxy_header", fmt.Errorf("%q: want X-Forwarded-For or Forwarded", c.ProxyHeader))
	}
	if err := c.zeroLimits(); err != nil {
		return err
	}
	if t := c.Tracing; t.OTLPEndpoint == "" {
		// Tracing is off: a setting of it set means an endpoint forgotten.
		n := &yaml.Node{}
		if c.root != nil {
			if t := lookupKey(c.root, "tracing"); t != nil && t.Kind == yaml.MappingNode {
				n = t
			}
		}
		for _, k := range []string{"service_name", "sample_ratio", "headers"} {
			if lookupKey(n, k) != nil {
				return c.settingErr("tracing."+k, errors.New("set while tracing.otlp_endpoint is not, which tracing is off without"))
			}
		}
	} else if r := t.SampleRatio; r < 0 || r > 1 {
		return c.settingErr("tracing.sample_ratio", fmt.Errorf("%v: want a share between 0 and 1", r))
	} else if err := tracing.Check(tracing.Config{Endpoint: t.OTLPEndpoint}); err != nil {
		// What serve's tracing.Start refuses, refused by the tools too,
		// each naming its own line (not the section's first setting's).
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "tracing: endpoint"), ":")
		return c.settingErr("tracing.otlp_endpoint", errors.New(strings.TrimSpace(msg)))
	} else {
		for _, name := range slices.Sorted(maps.Keys(t.Headers)) {
			if err := tracing.Check(tracing.Config{Endpoint: t.OTLPEndpoint, Headers: map[string]string{name: t.Headers[name]}}); err != nil {
				return c.settingErr("tracing.headers."+name, errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "tracing: headers: "), name+": ")))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Limits.CallbackBody)) {
		if _, ok := c.Backends[name]; !ok {
			// The handler would refuse it too, but only once the database
			// is open, and without saying where.
			return c.settingErr("limits.callback_body."+name, fmt.Errorf("%q names no backend enabled (enabled: %s)", name, strings.Join(slices.Sorted(maps.Keys(c.Backends)), ", ")))
		}
	}
	seen := map[string]int{}
	for i, k := range c.APIKeys {
		at := fmt.Sprintf("api_keys[%d]", i)
		if n := len(k); n < 16 {
			return c.settingErr(at, fmt.Errorf("the key has %d characters; use 16 or more", n))
		}
		if strings.TrimSpace(k) != k || strings.ContainsFunc(k, unicode.IsControl) {
			// HTTP trims the blanks around a header's value, and clients
			// refuse or mangle control characters in one: requests with
			// the key as written would all be refused.
			return c.settingErr(at, errors.New("the key has blanks or control characters around or in it: HTTP clients trim or refuse them"))
		}
		if j, dup := seen[k]; dup {
			return c.settingErr(at, fmt.Errorf("the key is api_keys[%d] again: list each key once", j))
		}
		seen[k] = i
	}
	users := map[string]bool{}
	for i, u := range c.Admin.Users {
		at := fmt.Sprintf("admin.users[%d]", i)
		switch {
		case u.Name == "":
			return c.settingErr(at+".name", errors.New("a user needs a name"))
		case users[u.Name]:
			return c.settingErr(at+".name", fmt.Errorf("user %q is listed twice", u.Name))
		}
		users[u.Name] = true
		if strings.ContainsFunc(strings.TrimRightFunc(u.PasswordHash, unicode.IsSpace), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			// A hash written over two lines: bcrypt takes it, and no
			// password ever matches it. One after it is harmless
			// (bcrypt reads its fixed length).
			return c.settingErr(at+".password_hash", fmt.Errorf("user %q: a blank or line break inside the hash (one split over lines?): no password would match it; write it on one line, as getpaid admin passwd prints it", u.Name))
		}
		cost, err := admin.CheckHash(u.PasswordHash)
		if err != nil {
			return c.settingErr(at+".password_hash", fmt.Errorf("user %q: not a bcrypt hash (make one with getpaid admin passwd)", u.Name))
		}
		if cost > admin.MaxHashCost {
			return c.settingErr(at+".password_hash", fmt.Errorf("user %q: bcrypt cost %d: want at most %d (getpaid admin passwd makes %d): each step doubles the work, so it would take %s of CPU at start-up and at every sign-in",
				u.Name, cost, admin.MaxHashCost, admin.HashCost, hashTime(cost)))
		}
	}
	return nil
}

// zeroLimits refuses a limit set to 0 (a backend's callback_body too): the
// handler takes 0 for the default, which is neither "none" nor "no limit";
// and a count below 0. Each is named with its own line.
func (c *fileConfig) zeroLimits() error {
	if c.root == nil {
		return nil
	}
	n := lookupKey(c.root, "limits")
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	v := reflect.ValueOf(c.Limits)
	fields := yamlKeys(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		idx, ok := fields[n.Content[i].Value]
		if !ok {
			continue
		}
		f := v.FieldByIndex(idx)
		zero := false
		switch d := f.Interface().(type) {
		case *duration:
			zero = d != nil && d.Duration == 0
		case byteSize:
			zero = f.IsZero()
		case int:
			if d < 0 {
				return c.settingErr("limits."+n.Content[i].Value, fmt.Errorf("%d: a count may not be negative (leave the setting out for the default)", d))
			}
			zero = d == 0
		case map[string]byteSize:
			for _, name := range slices.Sorted(maps.Keys(d)) {
				if d[name] == 0 {
					return c.settingErr("limits."+n.Content[i].Value+"."+name, errors.New("0: want more than 0 (leave the setting out for the broker's own bound)"))
				}
			}
		}
		if zero {
			return c.settingErr("limits."+n.Content[i].Value, errors.New("0: want more than 0 (leave the setting out for the default)"))
		}
	}
	return nil
}
