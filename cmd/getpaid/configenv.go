package main

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
			if near := nearestSetting(key, known); near != "" {
				ignored = append(ignored, fmt.Sprintf("%s is not a setting (did you mean GETPAID_%s?); ignored", k, strings.ToUpper(near)))
				continue
			}
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
		if takesMapping(reflect.TypeOf(fileConfig{}).FieldByIndex(known[key]).Type) {
			// A section (or webhooks) in block YAML is read here, not only
			// when decoded: the checks that read the settings as set
			// (a limit of 0, tracing without its endpoint) would see the
			// variable's text, and let what they refuse through.
			if val, err = envBlock(val); err != nil {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
		}
		if val, err = checkEnvYAML(val, key); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		setKey(root, key, val)
	}
	return ignored, nil
}

// checkEnvYAML is a variable's value (val, for the setting at path) read
// as the file is: its aliases expanded, one of a secret refused in a
// setting that holds none (whose errors would show it), and a key YAML
// reads as null or a tag that is not YAML's own or is !!binary refused
// (nullKeys). A backend's setting too: GETPAID_BACKEND_PAYU_CURRENCIES=
// [!!binary UExO] was read as PLN.
func checkEnvYAML(val *yaml.Node, path string) (*yaml.Node, error) {
	val, err := expandAliases(val, path, &expansion{})
	if err != nil {
		return nil, err
	}
	if err := nullKeys(val, path+"."); err != nil {
		return nil, err
	}
	return val, nil
}

// takesMapping reports whether a setting of type t is set with a mapping or
// a list of mappings (a section, webhooks), which a variable may write in
// block YAML (see envBlock).
func takesMapping(t reflect.Type) bool {
	return plainStruct(t) || t.Kind() == reflect.Map || (t.Kind() == reflect.Slice && plainStruct(t.Elem()))
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
		doc, err := envYAML(name, v)
		if err != nil {
			return nil, err
		}
		val = doc
	}
	markEnv(val, name)
	return val, nil
}

// envYAML is a variable's value read as one YAML document.
func envYAML(name, v string) (*yaml.Node, error) {
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
	return doc.Content[0], nil
}

// envBlock is a variable's value that envValue kept as text, read as block
// YAML (GETPAID_METRICS='listen: …' over lines, as a manifest writes it)
// for a setting that takes a mapping or a list of them, where text is
// never right; val itself when it is not a variable's, or does not read as
// a mapping or list.
func envBlock(val *yaml.Node) (*yaml.Node, error) {
	name, ok := strings.CutPrefix(val.LineComment, envPrefix)
	if !ok || val.Kind != yaml.ScalarNode || val.Style != 0 || !strings.ContainsAny(val.Value, ":-") {
		// Style 0: the variable's own value, not a quoted text inside
		// the YAML of one.
		return val, nil
	}
	doc, err := envYAML(name, val.Value)
	if errors.Is(err, errSecondDocument) {
		return nil, err
	}
	if err != nil || (doc.Kind != yaml.MappingNode && doc.Kind != yaml.SequenceNode) {
		return val, nil
	}
	markEnv(doc, name)
	return doc, nil
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
// name (see envName) prefixes rest. Where names nest (payu and payu_pln)
// the reading that names a setting of the backend's kind is taken
// (GETPAID_BACKEND_PAYU_PLN_POS_ID is payu_pln's pos_id even beside a
// backend called payu; GETPAID_BACKEND_DUMMY_NO_CALLBACKS is dummy's
// no_callbacks beside one called dummy_no), and with none the longest name
// wins (its error lists the settings); two readings that both name a
// setting are refused.
func overrideBackend(root *yaml.Node, variable, rest, value string) (set bool, err error) {
	backends := lookupKey(root, "backends")
	if backends == nil || backends.Kind != yaml.MappingNode {
		return false, nil
	}
	var best *yaml.Node
	bestName, bestKnown := "", false
	for i := 0; i+1 < len(backends.Content); i += 2 {
		name, node := backends.Content[i].Value, backends.Content[i+1]
		if !strings.HasPrefix(rest, envName(name)+"_") {
			continue
		}
		known := backendSetting(name, node, strings.ToLower(strings.TrimPrefix(rest, envName(name)+"_")))
		switch {
		case best != nil && envName(name) == envName(bestName):
			return false, fmt.Errorf("%s: backends %s and %s have the same environment name", variable, bestName, name)
		case best != nil && known && bestKnown:
			a, b := bestName, name
			if len(a) > len(b) {
				a, b = b, a
			}
			return false, fmt.Errorf("%s: backends.%s.%s or backends.%s.%s? Both are settings; set it in the file",
				variable, a, strings.ToLower(strings.TrimPrefix(rest, envName(a)+"_")), b, strings.ToLower(strings.TrimPrefix(rest, envName(b)+"_")))
		case best == nil || known && !bestKnown || known == bestKnown && len(name) > len(bestName):
			best, bestName, bestKnown = node, name, known
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
	var val *yaml.Node
	if t, _ := backendSettingType(bestName, best, key); t != nil && t.Kind() == reflect.String {
		// Text as it is: a password starting with [ or { is no YAML.
		val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
		markEnv(val, variable)
	} else if val, err = envValue(variable, value); err != nil {
		return false, err
	} else if val, err = checkEnvYAML(val, "backends."+bestName+"."+key); err != nil {
		return false, err
	}
	setKey(best, key, val)
	return true, nil
}

// backendSetting reports whether key is a setting of the backend name
// (node its settings): one of its kind's, or kind, title, expire_after.
func backendSetting(name string, node *yaml.Node, key string) bool {
	_, ok := backendSettingType(name, node, key)
	return ok
}

// backendSettingType is the Go type of the backend's setting key (nil for
// kind and expire_after, which the broker does not read), and whether it
// is one.
func backendSettingType(name string, node *yaml.Node, key string) (reflect.Type, bool) {
	switch key {
	case "title":
		return reflect.TypeFor[string](), true
	case "kind", "expire_after":
		return nil, true
	}
	kind := name
	if node.Kind == yaml.MappingNode {
		if k := lookupKey(node, "kind"); k != nil && k.Kind == yaml.ScalarNode {
			kind = k.Value
		}
	}
	k, ok := backendKinds()[kind]
	if !ok || k.settings == nil {
		return nil, false
	}
	idx, ok := yamlKeys(k.settings)[key]
	if !ok {
		return nil, false
	}
	return k.settings.FieldByIndex(idx).Type, true
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

// nearestSetting is the top-level setting key is a slip of (at most two
// letters added, dropped or changed: api_key for api_keys, databse for
// database), "" when none is that close; the first in order on a tie.
func nearestSetting(key string, known map[string][]int) string {
	best, bestD := "", 3
	for name := range known {
		if name == "backends" || name == key {
			continue
		}
		if d := editDistance(key, name); d < bestD || d == bestD && best != "" && name < best {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
