package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
// values made, up to maxExpanded; an alias inside the value of its own
// anchor (&a [*a]) is refused at once. A variable's YAML (markEnv) is expanded
// alike, its errors naming the variable.
//
// An alias of a secret (*key, where second_key: &key …) is refused in a
// setting that holds no secret (currencies: *key): that setting's errors,
// and what shows it (a title, a URL), would show the secret.
func expandAliases(n *yaml.Node, path string, expanded *expansion) (*yaml.Node, error) {
	if expanded.secrets == nil {
		expanded.secrets = map[*yaml.Node]string{}
		secretAnchors(n, path, expanded.secrets)
	}
	if expanded.count++; expanded.count > maxExpanded {
		return nil, fmt.Errorf("%s: the aliases (*name) expand to more than %d values", where(n), maxExpanded)
	}
	if n.Kind == yaml.AliasNode {
		if from, ok := expanded.secrets[n.Alias]; ok && !holdsSecret(path) && !strings.HasSuffix(path, "<<") { // a merge's own error hides it
			return nil, fmt.Errorf("%s: %s: *%s is the value of %s (%s), a secret, given here to a setting that holds none, where messages would show it: write this setting's own value", where(n), path, n.Value, from, where(n.Alias))
		}
		if expanded.open[n.Alias] {
			// &a [*a]: the copy would hold a copy of itself, without end.
			return nil, fmt.Errorf("%s: %s: *%s is inside the value anchored &%s (%s), which would hold itself without end", where(n), path, n.Value, n.Value, where(n.Alias))
		}
		return expandAliases(n.Alias, path, expanded)
	}
	if expanded.open == nil {
		expanded.open = map[*yaml.Node]bool{}
	}
	expanded.open[n] = true
	defer delete(expanded.open, n)
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
				switch {
				case m.Kind == yaml.ScalarNode && m.Anchor != "":
					// Another setting's value (*key of second_key: &key
					// …): the line names it; the value may be a secret.
					return nil, fmt.Errorf("%s: %s: want a mapping to merge (<<: *name), not &%s, a single value (not shown: it is another setting's, which may be a secret)", where(m), at, m.Anchor)
				case m.Kind != yaml.MappingNode:
					return nil, fmt.Errorf("%s: %s: want a mapping to merge (<<: *name), not %s", where(m), at, describeValue(m))
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

// expansion is what expandAliases keeps while it expands a document: the
// values made, and the anchored values of secret settings by the node
// anchored (the setting's path as their value), and the values being
// expanded, an alias of which is one of itself.
type expansion struct {
	count   int
	secrets map[*yaml.Node]string
	open    map[*yaml.Node]bool
}

// holdsSecret reports whether the setting at path is a secret setting
// (secretSetting) or a tracing header's value.
func holdsSecret(path string) bool {
	return secretSetting(path) || strings.Contains(path, "headers.")
}

// secretAnchors records in secrets each anchored value under n (at path)
// that is, or is inside, a secret setting (holdsSecret).
func secretAnchors(n *yaml.Node, path string, secrets map[*yaml.Node]string) {
	if n.Anchor != "" && holdsSecret(path) {
		secrets[n] = path
	}
	for i, c := range n.Content {
		switch {
		case n.Kind == yaml.SequenceNode:
			secretAnchors(c, fmt.Sprintf("%s[%d]", path, i), secrets)
		case n.Kind == yaml.MappingNode && i%2 == 1:
			secretAnchors(c, strings.TrimPrefix(path+"."+n.Content[i-1].Value, "."), secrets)
		}
	}
}

// setTwice refuses a key given twice in any mapping of the file, naming
// both lines, a tag that is not YAML's own or is !!binary, and a key YAML reads as null (~, null) (YAML's decoder names the mapping's first line twice, and a
// backend's broker settings are decoded where the path is lost).
func setTwice(n *yaml.Node, path string) error {
	if err := valueTag(n, " (a variable sets a setting as GETPAID_<SETTING> or GETPAID_BACKEND_<NAME>_<SETTING>)"); err != nil {
		return fmt.Errorf("line %d: %s: %w", n.Line, strings.TrimSuffix(path, "."), err)
	}
	switch n.Kind {
	case yaml.MappingNode:
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if err := nullKey(k, path); err != nil {
				return err
			}
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

// yamlTag reports whether t, a node's ShortTag, is one of YAML's own tags
// (!!binary, refused apart, too). One spelt !! but none of them
// (Authorization: !!Bearer s3cr3t) is another program's: YAML leaves
// the value as written after it ("s3cr3t").
func yamlTag(t string) bool {
	switch t {
	case "!!str", "!!int", "!!bool", "!!float", "!!null", "!!map", "!!seq", "!!timestamp", "!!merge", "!!binary":
		return true
	}
	return false
}

// valueTag refuses a value whose tag getpaid does not take: another
// program's (!env NAME, !secret name: YAML leaves the value as written,
// which would be taken as the setting, the variable's name as a key; see
// foreignTag, advice its last words) and !!binary (errBinary). setTwice
// reads the file with it, nullKeys a variable's YAML.
func valueTag(n *yaml.Node, advice string) error {
	switch t := n.ShortTag(); {
	case !yamlTag(t):
		return errors.New(foreignTag(n, advice))
	case t == "!!binary":
		return errBinary
	}
	return nil
}

// foreignTag says that n's tag is not YAML's own (see yamlTag), how,
// with advice, to write the value. A tag with no value after it is not
// shown: it is a value written unquoted after ! (second_key: !b6ca…),
// which may be a secret.
func foreignTag(n *yaml.Node, advice string) string {
	if n.Kind == yaml.ScalarNode && n.Value == "" {
		return `a value starting with ! is a tag to YAML, and getpaid reads none (not shown: it may be a secret): write it in quotes ("!…")`
	}
	return "the tag " + n.Tag + " is not YAML's own, and getpaid reads none: write the value" + advice
}

// errBinary refuses a value tagged !!binary: YAML decodes it from base64,
// so a key so written is not the text the operator typed (and no setting
// takes bytes).
var errBinary = errors.New("the tag !!binary makes YAML decode the value from base64, and the setting would not be the text written: write the value itself (as the broker's panel shows it), without the tag")

// nullKey refuses k, a mapping's key at path, when YAML reads it as null
// (~, null, or none: "? : 1"): a name-keyed mapping (backends,
// callback_body) drops it without a word. The error says where k was
// written: the file's line, or the environment variable.
//
// A key tagged as a value may not be (see setTwice) is refused too: YAML
// would read !!binary's as decoded from base64 (a header named from
// "QXV0aG9yaXphdGlvbg=="), and another program's as its text.
func nullKey(k *yaml.Node, path string) error {
	switch t := k.ShortTag(); {
	case k.Kind == yaml.ScalarNode && t == "!!null":
		return fmt.Errorf("%s: %s%s: YAML reads this key as null (nothing), and what it sets would be dropped; quote it or name it otherwise", where(k), path, k.Value)
	case !yamlTag(t):
		return fmt.Errorf("%s: %s%s: the tag %s is not YAML's own, and getpaid reads none: write the name without it", where(k), path, k.Value, k.Tag)
	case t == "!!binary":
		return fmt.Errorf("%s: %s%s: the tag !!binary makes YAML decode this key from base64, and the name would not be the text written: write the name itself, without the tag", where(k), path, k.Value)
	}
	return nil
}

// nullKeys refuses a key YAML reads as null anywhere in n (see nullKey),
// and a tag that is not YAML's own or is !!binary (see setTwice): a
// variable's YAML, which setTwice, reading the file, has not seen.
func nullKeys(n *yaml.Node, path string) error {
	if err := valueTag(n, ""); err != nil {
		return fmt.Errorf("%s: %s: %w", where(n), strings.TrimSuffix(path, "."), err)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := nullKey(n.Content[i], path); err != nil {
				return err
			}
			if err := nullKeys(n.Content[i+1], path+n.Content[i].Value+"."); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if err := nullKeys(item, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlControl reports whether YAML refuses r in a document: a C0 or C1
// control other than tab, line feed, carriage return and NEL, or DEL.
func yamlControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85)
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
	if where == "" && problem == "control characters are not allowed" {
		// A reader error names no line, wherever it is.
		for i, l := range lines {
			if j := strings.IndexFunc(l, yamlControl); j >= 0 {
				where = "line " + strconv.Itoa(i+1) + ": "
				problem += fmt.Sprintf(" (%U)", []rune(l[j:])[0])
				break
			}
		}
	}
	anchor := yamlUnknownAnchor.FindStringSubmatch(err.Error())
	if where == "" && len(lines) > 0 && anchor == nil && !strings.HasPrefix(problem, "control characters") {
		// The parser names no line when the problem is on the first
		// (its line 0): the first line read alone fails alike.
		var first yaml.Node
		if err := yaml.Unmarshal([]byte(lines[0]), &first); err != nil && cleanYAMLError(err) == problem {
			where, n, err2 = "line 1: ", 1, nil
		}
	}
	if anchor != nil && where == "" {
		// The parser names no line here: the first alias of that name is it.
		alias := regexp.MustCompile(`\*` + regexp.QuoteMeta(anchor[1]) + `([\s,\]}]|$)`)
		for i, l := range lines {
			if alias.MatchString(l) {
				where = "line " + strconv.Itoa(i+1) + ": "
				break
			}
		}
	}
	if problem == "mapping values are not allowed in this context" {
		problem += ` (a value with ": " in it, or ending in ":", is written in quotes: database: "memory:")`
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

// joinedLines refuses a backend's setting (a key, an id) written as a
// plain value continued on the next line: YAML joins the lines with a
// blank ("b6ca… 94d9…"), which neither the blanks around a value nor a
// line break inside it show, and the key matches nothing the broker
// signs. A value on one line is found whole on its line; a title (words
// buyers see) may go over lines.
func joinedLines(raw []byte, root *yaml.Node) error {
	backends := lookupKey(root, "backends")
	if backends == nil || backends.Kind != yaml.MappingNode {
		return nil
	}
	lines := strings.Split(string(raw), "\n")
	for i := 0; i+1 < len(backends.Content); i += 2 {
		m := backends.Content[i+1]
		if m.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := m.Content[j], m.Content[j+1]
			if k.Value == "title" || v.Kind != yaml.ScalarNode || v.Style != 0 || !strings.Contains(v.Value, " ") || v.Line < 1 || v.Line > len(lines) {
				continue
			}
			if !strings.Contains(lines[v.Line-1], v.Value) {
				return fmt.Errorf("line %d: backends.%s.%s: written over lines, which YAML joins with a blank: write it on one line, as the broker's panel shows it", v.Line, backends.Content[i].Value, k.Value)
			}
		}
	}
	return nil
}
