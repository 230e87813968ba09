package main

import (
	"encoding"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

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
		if err := nullItem(f.Type(), val, path+k.Value); err != nil {
			return err
		}
		if t := deref(f.Type()); (t == reflect.TypeFor[duration]() || t == reflect.TypeFor[time.Duration]()) && val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null" {
			// The decoder leaves the field as it is, without a word.
			return fmt.Errorf("%s: %s%s: %w", where(val), path, k.Value, errNullDuration)
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
		if strings.HasPrefix(path, "backends.") && f.Kind() == reflect.String && val.Kind == yaml.ScalarNode {
			// A broker's key, id or URL: with a blank (a newline from a
			// secret file) it matches nothing the broker sends or wants,
			// and every notification would be refused; so with a line
			// break or tab in it ("a\nb", or a block scalar's lines).
			switch {
			case strings.TrimSpace(val.Value) != val.Value:
				return fmt.Errorf("%s: %s%s: blanks around the value (a copy and paste?): write it without them", where(val), path, k.Value)
			case strings.ContainsFunc(val.Value, unicode.IsControl):
				return fmt.Errorf("%s: %s%s: a line break or another control character in the value (a key split over lines?): write it on one line, as the broker's panel shows it", where(val), path, k.Value)
			}
		}
		if f.Type() == reflect.TypeFor[time.Duration]() {
			// A broker's own duration (validity_time, timeout): read as
			// every duration of the file is, never negative and at most
			// ten years, not by the YAML decoder's looser rules.
			var d duration
			if err := val.Decode(&d); err != nil {
				return fmt.Errorf("%s: %s%s: %s", where(val), path, k.Value, cleanYAMLError(err))
			}
			if d.Duration == 0 && k.Value != "timeout" { // a timeout of 0 is refused with its default named (engineConfig)
				// The broker reads 0 as its default, which an operator
				// writing 0 ("no limit"?) hardly means.
				return fmt.Errorf("%s: %s%s: 0s: want a positive duration (leave the setting out for the broker's default)", where(val), path, k.Value)
			}
			f.SetInt(int64(d.Duration))
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("%s: %s%s: %s", where(val), path, k.Value, cleanSettingError(err, path+k.Value))
		}
	}
	return nil
}

// nullItem refuses, in a list setting (t a slice) at path, an item YAML
// reads as null (~, null, or nothing after "-"): the decoder drops it
// without a word, so "currencies: [~]" read as no list, every default
// currency, which "currencies: []" is refused for.
func nullItem(t reflect.Type, val *yaml.Node, path string) error {
	if t.Kind() != reflect.Slice || val.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range val.Content {
		if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" {
			return fmt.Errorf("%s: %s[%d]: an empty item (~, null or nothing after -), which YAML drops from the list: remove it or write its value", where(item), path, i)
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
	if takesMapping(t) {
		var err error
		if val, err = envBlock(val); err != nil {
			return true, err
		}
	}
	null := val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null"
	switch {
	case null:
		return false, nil // the setting's zero value: as if left out
	case val.Kind != yaml.MappingNode && plainStruct(t):
		return true, fmt.Errorf("%s: %s: want a mapping of settings (%s), not %s", where(val), path, strings.Join(sortedKeys(yamlKeys(deref(t))), ", "), describeSetting(path, val))
	case val.Kind != yaml.SequenceNode && t.Kind() == reflect.Slice && plainStruct(t.Elem()):
		return true, fmt.Errorf("%s: %s: want a list of mappings of settings (%s), not %s", where(val), path, strings.Join(sortedKeys(yamlKeys(deref(t.Elem()))), ", "), describeSetting(path, val))
	case val.Kind != yaml.MappingNode && t.Kind() == reflect.Map:
		return true, fmt.Errorf("%s: %s: want a mapping (name: value), not %s", where(val), path, describeSetting(path, val))
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
					return true, fmt.Errorf("%s: %s[%d]: %s", where(item), path, i, cleanSettingError(err, path))
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

// secretSettings are the settings whose values are secrets or hold them
// (a section or list of them, where a secret written one level too high
// lands), by their last name.
var secretSettings = map[string]bool{"api_keys": true, "database": true, "secret": true, "secrets": true,
	"webhooks": true, "admin": true, "users": true, "password_hash": true, "tracing": true, "headers": true,
	// A backend's keys.
	"api_key": true, "api_password": true, "client_secret": true, "crc": true, "pin": true, "second_key": true, "security_code": true}

// secretSetting reports whether the setting at path (see at) is one of
// secretSettings.
func secretSetting(path string) bool {
	name, _, _ := strings.Cut(path[strings.LastIndex(path, ".")+1:], "[")
	return secretSettings[name]
}

// hiddenValue stands for a value of a secret setting in messages.
const hiddenValue = "a single value (not shown: the setting holds secrets)"

// describeSetting is describeValue for the setting at path: a secret
// setting's value is never shown, not even in part.
func describeSetting(path string, n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" && n.Value != "" && secretSetting(path) {
		return hiddenValue
	}
	return describeValue(n)
}

// cleanSettingError is cleanYAMLError for the setting at path, without the
// value the decoder quotes when the setting is secret.
func cleanSettingError(err error, path string) string {
	return cleanYAMLErrorOf(err, secretSetting(path))
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
	return cleanYAMLErrorOf(err, false)
}

// cleanYAMLErrorOf is cleanYAMLError, without the value the decoder quotes
// (its first characters) when hide.
func cleanYAMLErrorOf(err error, hide bool) string {
	if err == nil {
		return "empty"
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(msg)
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		// One error, not the decoder's list of them (one a line): a
		// value of its own may hold a line break ("true\n" from a file).
		if _, after, ok := strings.Cut(rest, ": "); ok && !strings.Contains(msg, "\n  line ") {
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
	// A key given twice in a mapping the environment set: the file's are
	// refused before (setTwice), naming both lines; a variable has none,
	// and the decoder's "at line 0" names one the file does not have.
	msg = yamlKeyTwice.ReplaceAllStringFunc(msg, func(m string) string {
		g := yamlKeyTwice.FindStringSubmatch(m)
		if g[2] == "0" {
			return g[1] + " is set twice"
		}
		return g[1] + " is set twice (first on line " + g[2] + ")"
	})
	// An alias of no anchor: its name is what followed a * (a secret
	// written unquoted, second_key: *b6ca…), never shown.
	msg = yamlUnknownAnchor.ReplaceAllLiteralString(msg, errNoAnchor)
	// The decoder speaks of YAML's tags: "cannot unmarshal !!int `5` into
	// a list" says what is wanted and what was found.
	msg = yamlTypeError.ReplaceAllStringFunc(msg, func(m string) string {
		g := yamlTypeError.FindStringSubmatch(m)
		if v := strings.ToLower(strings.Trim(g[2], "`")); g[1] == "str" && g[3] == "true or false" && (v == "true" || v == "false") {
			// "want true or false, not "true"" would puzzle: the quotes
			// make it text.
			return "want true or false, not the text " + strconv.Quote(g[2][1:len(g[2])-1]) + " (in quotes): write it without them"
		}
		if g[2] != "" && hide {
			return "want " + g[3] + ", not " + hiddenValue
		}
		if g[2] != "" {
			return "want " + g[3] + ", not " + strconv.Quote(g[2][1:len(g[2])-1])
		}
		return "want " + g[3] + ", not " + yamlKind(g[1])
	})
	return msg
}

// yamlUnknownAnchor is the parser's alias (*name) of no anchor, the name
// its group.
var yamlUnknownAnchor = regexp.MustCompile(`unknown anchor '(.*)' referenced`)

// errNoAnchor says so without the name.
const errNoAnchor = `an alias (*name) of no anchor (&name) written before it: a value starting with * is written in quotes ("*…"); not shown, as it may be a secret`

// yamlKeyTwice is the decoder's key given twice in a mapping: the key
// (quoted) and the line of its first.
var yamlKeyTwice = regexp.MustCompile(`mapping key ("[^"]*") already defined at line (\d+)`)

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
