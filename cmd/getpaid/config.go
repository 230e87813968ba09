package main

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
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
	// longest timeout of a backend calling its broker over the network (a
	// call may need a token first; the dummy broker and Transferuj have none).
	ResumeOperationsAfter *duration `yaml:"resume_operations_after"`
	// DeliveryTimeout bounds one delivery attempt to a webhook ("10s" by
	// default); a slower endpoint's attempt fails and is retried.
	DeliveryTimeout *duration `yaml:"delivery_timeout"`
	// DeliveryRetries are the waits before each retry of a failed
	// delivery (default 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h); when they run out
	// the delivery is dead.
	DeliveryRetries []duration `yaml:"delivery_retries"`
	// Admin, Metrics and Tracing configure the operator console, /metrics
	// and OpenTelemetry (observe.go).
	Admin   adminConfig   `yaml:"admin"`
	Metrics metricsConfig `yaml:"metrics"`
	Tracing tracingConfig `yaml:"tracing"`

	// ProxyHeader is the header trusted proxies report clients in:
	// X-Forwarded-For (default) or Forwarded (RFC 7239).
	ProxyHeader string `yaml:"proxy_header"`
	// RequireHTTPS refuses JSON API calls and console requests that did
	// not come over https.
	RequireHTTPS bool `yaml:"require_https"`
	// Limits bounds what anyone may make the server spend.
	Limits limitsConfig `yaml:"limits"`

	source string     // the file it was read from, for messages
	root   *yaml.Node // the settings as read, to say where one was set (at)
	// ignoredEnv says which GETPAID_ variables set nothing (a misspelt
	// setting, a backend the file does not enable); serve warns of each.
	ignoredEnv []string
	// baseFromListen: base_url was left out and is http:// + listen
	// (serve puts in the port taken when listen's is 0).
	baseFromListen bool
	// existing opens only a database that exists, never creating or
	// migrating it (the record tools: they read a server's database).
	existing bool
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

// eventsLogged is what serve logs of the events an endpoint gets: "all"
// when the config names none (an empty list would read as none).
func (w webhookConfig) eventsLogged() string {
	if len(w.Events) == 0 {
		return "all"
	}
	return strings.Join(w.Events, ",")
}

// duration is a time.Duration written as "90s", "24h" or "0".
type duration struct{ time.Duration }

// UnmarshalYAML reads a duration string.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		return fmt.Errorf("want a duration like 90s, 30m or 24h, not a list")
	case yaml.MappingNode:
		return fmt.Errorf("want a duration like 90s, 30m or 24h, not a mapping")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q: want a duration like 90s, 30m or 24h", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("%q: a duration may not be negative", n.Value)
	}
	if v > maxDuration {
		// Added to now, a wait of centuries goes past what a stored time
		// holds (the year 2262) and wraps round into the past.
		return fmt.Errorf("%q: want at most %s (ten years)", n.Value, strings.TrimSuffix(maxDuration.String(), "0m0s"))
	}
	d.Duration = v
	return nil
}

// maxDuration bounds every duration setting of getpaid.yaml.
const maxDuration = 10 * 8760 * time.Hour

// envPrefix marks a YAML node that an environment variable set: its
// LineComment is envPrefix + the variable's name, so an error about the
// value names the variable instead of a line.
const envPrefix = "env:"

// loadConfig reads path strictly (unknown keys are errors) and applies
// environment overrides (see applyEnv). Errors name the file and line, or
// the environment variable.
//
// Each GETPAID_ variable that sets nothing is warned of on warn (nil: not
// warned of; serve logs them instead).
func loadConfig(path string, warn io.Writer) (*fileConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parseConfigFrom(path, raw, os.Environ())
	if err == nil && warn != nil {
		for _, msg := range c.ignoredEnv {
			fmt.Fprintln(warn, "getpaid: warning: environment: "+msg)
		}
	}
	return c, err
}

func parseConfig(raw []byte, env []string) (*fileConfig, error) {
	return parseConfigFrom("config", raw, env)
}

func parseConfigFrom(source string, raw []byte, env []string) (*fileConfig, error) {
	doc, err := readDocument(source, raw)
	if err != nil {
		return nil, err
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: want a mapping of settings (listen:, database:, backends:, ...)", source, root.Line)
	}
	root, err = expandAliases(root, "", new(int))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := setTwice(root, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	ignored, err := applyEnv(source, root, env)
	if err != nil {
		return nil, err
	}
	var c fileConfig
	if err := decodeStrict(root, &c, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	c.source, c.root, c.ignoredEnv = source, root, ignored
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8000"
	}
	if c.BaseURL == "" {
		// Brokers are sent absolute URLs made from it: http://0.0.0.0:8000
		// or http://:8000 would reach nobody.
		if host, _, err := net.SplitHostPort(c.Listen); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
			return nil, fmt.Errorf("%s: %s: listen: %s is every interface: set base_url to the URL brokers and buyers reach getpaid at "+
				"(base_url: https://pay.example.com, or GETPAID_BASE_URL), which callback and return URLs are made from",
				source, where(lookupKey(root, "listen")), c.Listen)
		}
		c.BaseURL = "http://" + c.Listen
		c.baseFromListen = true
	} else if err := checkBaseURL(c.BaseURL); err != nil {
		return nil, fmt.Errorf("%s: %s: base_url: %w", source, where(lookupKey(root, "base_url")), err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Database == "" {
		return nil, fmt.Errorf("%s: database is required (sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE, or GETPAID_DATABASE)", source)
	}
	if len(c.Backends) == 0 {
		return nil, fmt.Errorf("%s: no backends enabled (backends: {NAME: {settings}})", source)
	}
	return &c, nil
}

// readDocument reads the one YAML document of a config file. A second one
// (after "---") is refused: it would be dropped unread, and what it sets
// would silently not apply.
func readDocument(source string, raw []byte) (yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return doc, syntaxError(source, raw, err)
	}
	switch line, err := nextDocument(dec); {
	case err != nil:
		return doc, syntaxError(source, raw, err)
	case line > 0:
		return doc, fmt.Errorf("%s: line %d: %w", source, line, errSecondDocument)
	}
	return doc, nil
}

var errSecondDocument = errors.New("a second YAML document (after ---): getpaid reads one document; put every setting in it")

// nextDocument is the line of the first document dec has left that sets
// something (0: none). Empty ones (a "---" closing the text) are skipped.
func nextDocument(dec *yaml.Decoder) (int, error) {
	for {
		var next yaml.Node
		switch err := dec.Decode(&next); {
		case errors.Is(err, io.EOF):
			return 0, nil
		case err != nil:
			return 0, err
		}
		line := max(next.Line, 1)
		if len(next.Content) == 1 {
			if c := next.Content[0]; c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
				continue
			}
			line = max(next.Content[0].Line, 1)
		}
		return line, nil
	}
}

// maxExpanded bounds the values aliases may expand a config to: a few
// anchors of lists of aliases would otherwise make billions.
const maxExpanded = 100_000

// expandAliases is n with every alias (*name) replaced by a copy of what
// its anchor (&name) holds, and every merge key (<<: *name, or a list of
// them) replaced by the merged mapping's keys that the mapping does not set
// itself, as YAML defines them. Each value keeps the line it was written
// on; copies share nothing, so the environment can change one backend
// made from another's anchor without changing both. expanded counts the
// values made, up to maxExpanded.
func expandAliases(n *yaml.Node, path string, expanded *int) (*yaml.Node, error) {
	if *expanded++; *expanded > maxExpanded {
		return nil, fmt.Errorf("line %d: the aliases (*name) expand to more than %d values", n.Line, maxExpanded)
	}
	if n.Kind == yaml.AliasNode {
		return expandAliases(n.Alias, path, expanded)
	}
	out := *n
	out.Alias, out.Content = nil, nil
	var merged []*yaml.Node // the merged mappings, in order
	for i := 0; i < len(n.Content); i++ {
		at := path // what the value at i is, for messages
		switch {
		case n.Kind == yaml.SequenceNode:
			at = fmt.Sprintf("%s[%d]", path, i)
		case n.Kind == yaml.MappingNode && i%2 == 1:
			at = strings.TrimPrefix(path+"."+n.Content[i-1].Value, ".")
		}
		c, err := expandAliases(n.Content[i], at, expanded)
		if err != nil {
			return nil, err
		}
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.ShortTag() == "!!merge" && i+1 < len(n.Content) {
			at = strings.TrimPrefix(path+".<<", ".")
			v, err := expandAliases(n.Content[i+1], at, expanded)
			if err != nil {
				return nil, err
			}
			list := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				list = v.Content
			}
			for _, m := range list {
				if m.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: %s: want a mapping to merge (<<: *name), not %s", m.Line, at, describeValue(m))
				}
			}
			merged = append(merged, list...)
			i++
			continue
		}
		out.Content = append(out.Content, c)
	}
	for _, m := range merged {
		for j := 0; j+1 < len(m.Content); j += 2 {
			if lookupKey(&out, m.Content[j].Value) == nil {
				out.Content = append(out.Content, m.Content[j], m.Content[j+1])
			}
		}
	}
	return &out, nil
}

// setTwice refuses a key given twice in any mapping of the file, naming
// both lines (YAML's decoder names the mapping's first line twice, and a
// backend's broker settings are decoded where the path is lost).
func setTwice(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.MappingNode:
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if line, dup := first[k.Value]; dup {
				return fmt.Errorf("line %d: %s%s is set twice (first on line %d)", k.Line, path, k.Value, line)
			}
			first[k.Value] = k.Line
			if err := setTwice(n.Content[i+1], path+k.Value+"."); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if err := setTwice(item, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// syntaxError is a YAML syntax error naming the file and line; a tab at
// the start of that line, which YAML's message does not name, is said.
//
// YAML's parser errors ("did not find expected key", "… ',' or ']'")
// count lines from 0 and name the block being read, not the line that
// broke it: the line is made the block's own (counted from 1, at most the
// last), and the message says to look in that block.
func syntaxError(source string, raw []byte, err error) error {
	where, problem := yamlErrorLine(err), cleanYAMLError(err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	n, err2 := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(where, "line "), ": "))
	if err2 == nil && strings.HasPrefix(problem, "did not find expected") {
		n = min(n+1, len(lines))
		where = "line " + strconv.Itoa(n) + ": "
		problem += " (in the block that starts on this line: a line below it indented differently, or a bracket or quote left open)"
	}
	msg := fmt.Sprintf("%s: %s%s", source, where, problem)
	if err2 == nil {
		if n >= 1 && n <= len(lines) &&
			strings.Contains(lines[n-1][:len(lines[n-1])-len(strings.TrimLeft(lines[n-1], " \t"))], "\t") {
			msg += " (a tab: YAML is indented with spaces)"
		}
	}
	return errors.New(msg)
}

// applyEnv applies the environment to the config's mapping. Every setting
// can be set from the environment:
//
//	GETPAID_<SETTING>=value                 a top-level setting (GETPAID_BASE_URL, GETPAID_API_KEYS=k1,k2, ...)
//	GETPAID_BACKEND_<NAME>_<SETTING>=value  one setting of an enabled backend (GETPAID_BACKEND_PAYU_SECOND_KEY;
//	                                        NAME is the backend's name in upper case, "-" written "_")
//
// A list may be written comma-separated or as YAML ([a, b]); a mapping or
// a list of mappings (webhooks) as YAML. A variable that names no setting,
// or a backend that is not enabled, is ignored and said so in what applyEnv
// returns (GETPAID_TEST_ variables, which getpaid's tests read, are not
// settings and are left out).
func applyEnv(source string, root *yaml.Node, env []string) (ignored []string, err error) {
	known := yamlKeys(reflect.TypeOf(fileConfig{}))
	sort.Strings(env) // a stable order: errors and overrides do not depend on the environment's
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, "GETPAID_")
		if !ok {
			continue
		}
		if strings.HasPrefix(rest, "TEST_") {
			continue
		}
		if b, ok := strings.CutPrefix(rest, "BACKEND_"); ok {
			set, err := overrideBackend(root, k, b, v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			if name := backendNamed(root, b); !set && name != "" {
				ignored = append(ignored, fmt.Sprintf("%s names backend %s but no setting of it (%s_<SETTING>, the setting in upper case); ignored", k, name, k))
			} else if !set {
				ignored = append(ignored, fmt.Sprintf("%s names no backend enabled in %s (GETPAID_BACKEND_<NAME>_<SETTING> sets a setting of a backend the file enables); ignored", k, source))
			}
			continue
		}
		key := strings.ToLower(rest)
		if section, setting, ok := nestedSetting(key, known); ok {
			ignored = append(ignored, fmt.Sprintf("%s is not a setting: %s is set whole, as YAML (GETPAID_%s='{%s: …}', which replaces the file's %s:); ignored",
				k, section, strings.ToUpper(section), setting, section))
			continue
		}
		if _, ok := known[key]; !ok || key == "backends" {
			ignored = append(ignored, fmt.Sprintf("%s is not a setting (GETPAID_<SETTING> for a top-level one, GETPAID_BACKEND_<NAME>_<SETTING> for a backend's); ignored", k))
			continue
		}
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%s: %s", source, emptyVariable(k, key))
		}
		val, err := envValue(k, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		setKey(root, key, val)
	}
	return ignored, nil
}

// nestedSetting reports whether key (a variable's name after GETPAID_, in
// lower case) names a setting inside a section (admin_audit_log:
// admin.audit_log), which the environment sets only with the whole section.
func nestedSetting(key string, known map[string][]int) (section, setting string, ok bool) {
	t := reflect.TypeOf(fileConfig{})
	for name, idx := range known {
		if rest, found := strings.CutPrefix(key, name+"_"); found && name != "backends" {
			if f := t.FieldByIndex(idx).Type; f.Kind() == reflect.Struct {
				if _, isSetting := yamlKeys(f)[rest]; isSetting {
					return name, rest, true
				}
			}
		}
	}
	return "", "", false
}

// emptyVariable is the error of a variable set to nothing (or blanks): it
// would replace the file's value with none, which for most settings is
// their default (base_url http://listen, a broker's production api_url), a
// variable a deployment left empty silently undoing the file.
func emptyVariable(name, setting string) error {
	return fmt.Errorf("%s: %s: the variable is empty: unset it to keep the file's %s (or its default), or give it a value", name, setting, setting)
}

// envValue is a variable's value as a YAML node carrying its name.
func envValue(name, v string) (*yaml.Node, error) {
	val := &yaml.Node{Kind: yaml.ScalarNode, Value: v} // untagged: numbers and bools decode too
	switch t := strings.TrimSpace(v); {
	case strings.ToLower(t) == "" || t == "~" || strings.ToLower(t) == "null":
		val.Tag = "!!str" // a secret spelled "null" is that string, not nothing
	case strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{"):
		dec := yaml.NewDecoder(strings.NewReader(v))
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil || len(doc.Content) != 1 {
			return nil, fmt.Errorf("%s: not a YAML list or mapping: %s", name, cleanYAMLError(err))
		}
		// A second document would be dropped unread, as in the file.
		if line, err := nextDocument(dec); err != nil {
			return nil, fmt.Errorf("%s: not a YAML list or mapping: %s", name, cleanYAMLError(err))
		} else if line > 0 {
			return nil, fmt.Errorf("%s: %w", name, errSecondDocument)
		}
		val = doc.Content[0]
	}
	markEnv(val, name)
	return val, nil
}

func markEnv(n *yaml.Node, name string) {
	n.Line, n.Column, n.LineComment = 0, 0, envPrefix+name
	for _, c := range n.Content {
		markEnv(c, name)
	}
}

// envName is how a backend's name appears in environment variables: upper
// case, with "-" (which shells cannot name) as "_".
func envName(backend string) string {
	return strings.ToUpper(strings.ReplaceAll(backend, "-", "_"))
}

// overrideBackend sets NAME_SETTING=value on the backend whose environment
// name (see envName) prefixes rest, the longest such name winning
// (GETPAID_BACKEND_PAYU_PLN_POS_ID is payu_pln's pos_id even beside a
// backend called payu).
func overrideBackend(root *yaml.Node, variable, rest, value string) (set bool, err error) {
	backends := lookupKey(root, "backends")
	if backends == nil || backends.Kind != yaml.MappingNode {
		return false, nil
	}
	var best *yaml.Node
	bestName := ""
	for i := 0; i+1 < len(backends.Content); i += 2 {
		name := backends.Content[i].Value
		if !strings.HasPrefix(rest, envName(name)+"_") {
			continue
		}
		switch {
		case best != nil && envName(name) == envName(bestName):
			return false, fmt.Errorf("%s: backends %s and %s have the same environment name", variable, bestName, name)
		case len(name) > len(bestName):
			best, bestName = backends.Content[i+1], name
		}
	}
	if best == nil {
		return false, nil // a variable for a backend that is not enabled is ignored
	}
	key := strings.ToLower(strings.TrimPrefix(rest, envName(bestName)+"_"))
	if strings.TrimSpace(value) == "" {
		return false, emptyVariable(variable, "backends."+bestName+"."+key)
	}
	if best.Kind == yaml.ScalarNode && best.Tag == "!!null" {
		*best = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: best.Line}
	}
	if best.Kind != yaml.MappingNode {
		return false, fmt.Errorf("%s: backends.%s (line %d) is not a mapping of settings", variable, bestName, best.Line)
	}
	val, err := envValue(variable, value)
	if err != nil {
		return false, err
	}
	setKey(best, key, val)
	return true, nil
}

// backendNamed is the enabled backend whose environment name is rest, or "".
func backendNamed(root *yaml.Node, rest string) string {
	backends := lookupKey(root, "backends")
	if backends == nil || backends.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(backends.Content); i += 2 {
		if name := backends.Content[i].Value; envName(name) == rest {
			return name
		}
	}
	return ""
}

// setKey sets key to val in mapping m, replacing an existing value.
func setKey(m *yaml.Node, key string, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = val
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, LineComment: val.LineComment}, val)
}

func lookupKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// at says where the setting at path was set: "line 7", or the environment
// variable that set it; "" when it was not set. path is dotted, with list
// indexes: "webhooks[1].secrets[0]", "admin.audit_log". When the setting
// itself was not set, the closest enclosing one that was is named.
func (c *fileConfig) at(path string) string {
	n, found := c.root, ""
	if n == nil {
		return ""
	}
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if n.Kind != yaml.MappingNode {
			return found
		}
		if n = lookupKey(n, key); n == nil {
			return found
		}
		found = where(n)
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return found
			}
			n, found = n.Content[i], where(n.Content[i])
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return found
}

// settingErr is an error about the setting at path (see at), naming the
// file, where in it (or the environment variable) and the setting.
func (c *fileConfig) settingErr(path string, err error) error {
	if w := c.at(path); w != "" {
		return fmt.Errorf("%s: %s: %s: %w", c.source, w, path, err)
	}
	return fmt.Errorf("%s: %s: %w", c.source, path, err)
}

// where names where a node came from: "line 7" or "GETPAID_BASE_URL".
func where(n *yaml.Node) string {
	if v, ok := strings.CutPrefix(n.LineComment, envPrefix); ok {
		return v
	}
	return fmt.Sprintf("line %d", n.Line)
}

// decodeSettings decodes one backend's settings strictly into v: an
// unknown setting or a value of the wrong type is an error naming the line
// of the config file, or the environment variable that set it.
func decodeSettings(name string, node yaml.Node, v any) error {
	if node.Kind == 0 || (node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
		return nil
	}
	if err := decodeStrictWith(&node, v, "backends."+name+".", "expire_after", "kind", "title"); err != nil {
		return &settingError{err}
	}
	return nil
}

// settingError is a setting that could not be read; its message says where.
type settingError struct{ err error }

func (e *settingError) Error() string { return e.err.Error() }
func (e *settingError) Unwrap() error { return e.err }

// decodeStrict decodes the mapping n into the struct v key by key, so each
// error names its key and where it was set. Keys are the fields' yaml tags.
func decodeStrict(n *yaml.Node, v any, path string) error {
	return decodeStrictWith(n, v, path)
}

// decodeStrictWith is decodeStrict for a mapping whose keys in also are
// read elsewhere (a backend's kind, title and expire_after): an unknown
// key's error lists them with the known settings.
func decodeStrictWith(n *yaml.Node, v any, path string, also ...string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: %s: want a mapping of settings", where(n), strings.TrimSuffix(path, "."))
	}
	rv := reflect.ValueOf(v).Elem()
	fields := yamlKeys(rv.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			known := append(sortedKeys(fields), also...)
			sort.Strings(known)
			return fmt.Errorf("%s: unknown setting %s%s (known: %s)", where(k), path, k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return fmt.Errorf("%s: %s%s is set twice", where(k), path, k.Value)
		}
		seen[k.Value] = true
		f := rv.FieldByIndex(idx)
		if f.Kind() == reflect.Slice && val.Kind == yaml.ScalarNode && strings.HasPrefix(val.LineComment, envPrefix) &&
			(f.Type().Elem().Kind() == reflect.String || f.Type().Elem() == reflect.TypeFor[duration]()) {
			// GETPAID_API_KEYS=k1,k2: a comma-separated list.
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", LineComment: val.LineComment}
			for _, item := range strings.Split(val.Value, ",") {
				seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(item), LineComment: val.LineComment})
			}
			val = seq
		}
		if nested, err := decodeNested(f, val, path+k.Value); nested || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		if err := wholeNumber(f.Type(), val); err != nil {
			return fmt.Errorf("%s: %s%s: %w", where(val), path, k.Value, err)
		}
		if strings.HasPrefix(path, "backends.") && f.Kind() == reflect.String && val.Kind == yaml.ScalarNode && strings.TrimSpace(val.Value) != val.Value {
			// A broker's key, id or URL: with a blank (a newline from a
			// secret file) it matches nothing the broker sends or wants,
			// and every notification would be refused.
			return fmt.Errorf("%s: %s%s: blanks around the value (a copy and paste?): write it without them", where(val), path, k.Value)
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("%s: %s%s: %s", where(val), path, k.Value, cleanYAMLError(err))
		}
	}
	return nil
}

// leadingZero is an integer YAML reads as octal (0123 is 83).
var leadingZero = regexp.MustCompile(`^[-+]?0[0-9_]+$`)

// wholeNumber refuses, for a setting that takes a whole number, a value the
// YAML decoder would change without a word: a fraction (1.5 is decoded as
// 1, 1e3 as 1000) and a number with a leading zero (octal: 0123 is 83).
func wholeNumber(t reflect.Type, n *yaml.Node) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return nil
	}
	if n.Kind != yaml.ScalarNode || t == reflect.TypeFor[time.Duration]() {
		return nil
	}
	switch {
	case n.ShortTag() == "!!float":
		return fmt.Errorf("want a whole number, not %q", n.Value)
	case n.ShortTag() == "!!int" && leadingZero.MatchString(n.Value):
		return fmt.Errorf("%q: a leading 0 makes it octal in YAML; write the number without it", n.Value)
	}
	return nil
}

// decodeNested decodes a mapping into a struct field, or a list of mappings
// into a slice of structs, strictly (decodeStrict), so nested settings are
// checked like the top ones; it reports false for any other field.
func decodeNested(f reflect.Value, val *yaml.Node, path string) (bool, error) {
	t := f.Type()
	null := val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null"
	switch {
	case null:
		return false, nil // the setting's zero value: as if left out
	case val.Kind != yaml.MappingNode && plainStruct(t):
		return true, fmt.Errorf("%s: %s: want a mapping of settings (%s), not %s", where(val), path, strings.Join(sortedKeys(yamlKeys(deref(t))), ", "), describeValue(val))
	case val.Kind != yaml.SequenceNode && t.Kind() == reflect.Slice && plainStruct(t.Elem()):
		return true, fmt.Errorf("%s: %s: want a list of mappings of settings (%s), not %s", where(val), path, strings.Join(sortedKeys(yamlKeys(deref(t.Elem()))), ", "), describeValue(val))
	case val.Kind != yaml.MappingNode && t.Kind() == reflect.Map:
		return true, fmt.Errorf("%s: %s: want a mapping (name: value), not %s", where(val), path, describeValue(val))
	case val.Kind == yaml.MappingNode && plainStruct(t):
		if t.Kind() == reflect.Pointer {
			if f.IsNil() {
				f.Set(reflect.New(t.Elem()))
			}
			f = f.Elem()
		}
		return true, decodeStrict(val, f.Addr().Interface(), path+".")
	case val.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice && plainStruct(t.Elem()):
		s := reflect.MakeSlice(t, len(val.Content), len(val.Content))
		for i, item := range val.Content {
			e := s.Index(i)
			if nested, err := decodeNested(e, item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return true, err
			} else if !nested {
				if err := item.Decode(e.Addr().Interface()); err != nil {
					return true, fmt.Errorf("%s: %s[%d]: %s", where(item), path, i, cleanYAMLError(err))
				}
			}
		}
		f.Set(s)
		return true, nil
	}
	return false, nil
}

// deref is what t points to, or t.
func deref(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// describeValue names a YAML value for messages, as describeNode does, a
// long one cut (it may be a secret put in the wrong place).
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && len([]rune(n.Value)) > 40 {
		return strconv.Quote(string([]rune(n.Value)[:40]) + "…")
	}
	return describeNode(n)
}

// plainStruct reports whether t (or what it points to) is a struct that
// decodes field by field: not time.Time, nor one that decodes itself.
func plainStruct(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return false
	}
	p := reflect.PointerTo(t)
	return !p.Implements(reflect.TypeFor[yaml.Unmarshaler]()) && !p.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// yamlKeys maps a struct's YAML keys to its fields.
func yamlKeys(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch tag {
		case "-":
			continue
		case "":
			tag = strings.ToLower(f.Name)
		}
		out[tag] = f.Index
	}
	return out
}

func sortedKeys(m map[string][]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// yamlErrorLine is "line N: " when a YAML syntax error names its line
// (cleanYAMLError drops it, for callers that say where themselves), else
// "".
func yamlErrorLine(err error) string {
	rest, ok := strings.CutPrefix(err.Error(), "yaml: line ")
	if !ok {
		return ""
	}
	n, _, ok := strings.Cut(rest, ":")
	if _, err := strconv.Atoi(n); !ok || err != nil {
		return ""
	}
	return "line " + n + ": "
}

// cleanYAMLError is a YAML error without the decoder's preamble and line
// prefix (the caller says where) and Go type names.
func cleanYAMLError(err error) string {
	if err == nil {
		return "empty"
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(msg)
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok && !strings.Contains(msg, "\n") {
			msg = after
		}
	}
	for _, t := range []struct{ from, to string }{
		{"into time.Duration", "into a duration (like 30s)"}, {"into int64", "into a whole number"}, {"into int", "into a whole number"},
		{"into bool", "into true or false"}, {"into []string", "into a list"}, {"into string", "into text"},
		{"into []main.duration", "into a list of durations (like [5s, 5m])"}, {"into main.duration", "into a duration (like 30s)"},
	} {
		msg = strings.ReplaceAll(msg, t.from, t.to)
	}
	// The decoder speaks of YAML's tags: "cannot unmarshal !!int `5` into
	// a list" says what is wanted and what was found.
	msg = yamlTypeError.ReplaceAllStringFunc(msg, func(m string) string {
		g := yamlTypeError.FindStringSubmatch(m)
		if g[2] != "" {
			return "want " + g[3] + ", not " + strconv.Quote(g[2][1:len(g[2])-1])
		}
		return "want " + g[3] + ", not " + yamlKind(g[1])
	})
	return msg
}

// yamlTypeError is the decoder's type mismatch: the tag, the value
// (quoted in backquotes, for scalars) and what the setting takes.
var yamlTypeError = regexp.MustCompile("cannot unmarshal !!(\\w+) ?(`[^`]*`)? into ([^\\n]+)")

// yamlKind names a YAML tag without a value shown (a collection) for messages.
func yamlKind(tag string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	}
	return "!!" + tag
}

// checkBaseURL checks a public base URL: absolute http(s), a host, no query
// or fragment. A path is allowed (getpaid is then served under it).
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: want an absolute http:// or https:// URL", raw)
	case u.Host == "":
		return fmt.Errorf("%q has no host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(raw, "?#"):
		// An empty "?" or "#" too: callback URLs made from it would
		// carry their path in it.
		return fmt.Errorf("%q: a base URL has no query, fragment or user", raw)
	case strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]") && !validPort(u.Port()): // a port given (not an IPv6 address's colons)
		return fmt.Errorf("%q: the port %q: want 1 to 65535 (or none, for the scheme's own)", raw, u.Port())
	case u.Hostname() == "" || (net.ParseIP(u.Hostname()) != nil && net.ParseIP(u.Hostname()).IsUnspecified()):
		return fmt.Errorf("%q: %s is not an address a browser or broker can reach; name this machine", raw, u.Host)
	case u.EscapedPath() != u.Path:
		// Served under it, the path is matched as requests carry it and
		// written into links and cookies: keep it plain.
		return fmt.Errorf("%q: the path must have nothing to escape (no spaces, %%-escapes or non-ASCII letters)", raw)
	case strings.Contains(u.Path, "//") || slices.Contains(strings.Split(u.Path, "/"), ".") || slices.Contains(strings.Split(u.Path, "/"), ".."):
		// Browsers and proxies send the path cleaned: getpaid, served
		// under it as written, would answer 404 to everything.
		return fmt.Errorf("%q: the path must be plain: no . or .. segments and no //", raw)
	}
	return nil
}

// validPort reports whether p is a TCP port a URL can name: 1 to 65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p == strconv.Itoa(n)
}

// urlPath is the path of a base URL without its trailing slash: "" for the
// root, "/gp" for https://shop.example/gp/.
func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
}
