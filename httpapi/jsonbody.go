package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// decodeJSON reads a JSON API request body into v strictly: the media type
// must be application/json, without a Content-Encoding (415 otherwise); the body is read through the
// limiter (at most Limits.APIBytes); keys given twice, or differing only in
// case, or matching a field only when case is ignored, are refused (400);
// a string that is not valid UTF-8 is refused with its field (422); unknown
// fields and trailing data are refused (400).
func (h *Handler) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonMediaType(r.Header.Get("Content-Type")); err != nil {
		dropBody(w, r)
		return err
	}
	if err := unencoded(r.Header.Values("Content-Encoding")); err != nil {
		dropBody(w, r)
		return err
	}
	// The client is authenticated: its body is not counted in its address's share.
	b, err := h.readBodyOf(w, r, h.limits.APIBytes, false)
	if err != nil {
		return err
	}
	defer b.Release()
	return decodeStrict(b.Bytes, v)
}

// unencoded accepts a body without a Content-Encoding, or "identity": an
// encoded (compressed) one is not undone, nor read as if it were not.
func unencoded(values []string) error {
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				return fmt.Errorf("%w (got %q)", errUnsupportedEncoding, v)
			}
		}
	}
	return nil
}

// jsonMediaType accepts application/json, with no charset or utf-8 (and no
// other parameter); another charset is errUnsupportedCharset.
func jsonMediaType(ct string) error {
	if ct == "application/json" {
		return nil // what nearly every client sends: no parameters to parse
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w (got %q)", errUnsupportedMedia, ct)
	}
	for k := range params {
		if k != "charset" {
			return fmt.Errorf("%w (got %q)", errUnsupportedMedia, ct)
		}
	}
	if v, ok := params["charset"]; ok && !strings.EqualFold(v, "utf-8") {
		return fmt.Errorf("%w (got %q)", errUnsupportedCharset, ct)
	}
	return nil
}

// utf8BOM is the byte order mark some tools write before UTF-8 text
// (PowerShell's Out-File, .NET's Encoding.UTF8, Notepad).
var utf8BOM = []byte("\xef\xbb\xbf")

// decodeStrict decodes body, a JSON object, into v after checkJSON. A byte
// order mark before it is passed over, as RFC 8259 section 8.1 lets a
// parser do: refused, it was "malformed JSON at byte 1", which did not say
// why to a client whose tool added it. A malformed body's byte is still
// counted as the client sent it, with the mark.
func decodeStrict(body []byte, v any) error {
	mark := bytes.HasPrefix(body, utf8BOM)
	body = bytes.TrimPrefix(body, utf8BOM)
	if t := reflect.TypeOf(v); !cleanJSON(body, t) {
		if err := checkJSON(body, t); err != nil {
			return err
		}
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		// encoding/json leaves v as it is for null: a request of zeros.
		return badBody("the body is null: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if fe := (*getpaid.FieldError)(nil); errors.As(err, &fe) {
			return fe // a field refused by v's own UnmarshalJSON
		}
		if se := (*json.SyntaxError)(nil); mark && errors.As(err, &se) {
			se.Offset += int64(len(utf8BOM))
		}
		return badBody("%s", decodeProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badBody("trailing data after the JSON object")
	}
	return nil
}

// bodyError is a JSON API body refused for what the client sent. Its
// message names the key or the problem (never getpaid's internals) and is
// shown to the client: 400 bad_request.
type bodyError struct{ msg string }

func (e *bodyError) Error() string { return getpaid.ErrInvalidRequest.Error() + ": " + e.msg }
func (e *bodyError) Unwrap() error { return getpaid.ErrInvalidRequest }

func badBody(format string, a ...any) error { return &bodyError{msg: fmt.Sprintf(format, a...)} }

// decodeProblem says in a client's words why encoding/json refused a body.
func decodeProblem(err error) string {
	var (
		te *json.UnmarshalTypeError
		se *json.SyntaxError
	)
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty: want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends before its JSON does"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		got, _, _ := strings.Cut(te.Value, " ") // "number 1.5" -> "number"
		if te.Field == "" {
			return "want a JSON object, not " + withArticle(got)
		}
		return fmt.Sprintf("key %q: want %s, not %s", te.Field, jsonKindOf(te.Type), withArticle(got))
	}
	if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown key " + key
	}
	return "the body is not the expected JSON object"
}

// jsonKindOf names the JSON value a Go type is read from.
func jsonKindOf(t reflect.Type) string {
	switch deref(t).Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// withArticle is "a string", "an array", "an object" for encoding/json's
// names of JSON values.
func withArticle(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "true or false"
	}
	return "a " + kind
}

// maxDepth bounds the nesting of a request body.
const maxDepth = 16

// checkJSON walks body, a JSON request, for what encoding/json would let
// through silently: an object key given twice, or twice in different case
// (it keeps the last one), a key matching a field of t only when case is
// ignored (it matches case-insensitively), and a string that is not valid
// UTF-8, lone surrogate escapes included (it replaces them with U+FFFD);
// and, once the body is known to be well-formed, a key no field of its
// struct has, named with its path ("buyer.emial": encoding/json names the
// key alone). t is the type body decodes into (nil: no field names to
// check). Syntax errors are left to the decoder.
func checkJSON(body []byte, t reflect.Type) error {
	w := &jsonWalker{dec: json.NewDecoder(bytes.NewReader(body)), body: body}
	w.dec.UseNumber()
	err := w.value(t, "", 0)
	if errors.Is(err, errSyntax) {
		return nil // the decoder says what is wrong
	}
	if err == nil && w.unknown != "" {
		// Said here, once the body is known to be well-formed, for the
		// path: encoding/json names an unknown key without it.
		return badBody("unknown key %q (known: %s)", w.unknown, strings.Join(w.known, ", "))
	}
	return err
}

var errSyntax = errors.New("syntax")

type jsonWalker struct {
	dec     *json.Decoder
	body    []byte
	unknown string   // the first key read into a struct with no such field, with its path
	known   []string // the keys that struct has, sorted
}

// next returns the next token and the raw bytes it was read from.
func (w *jsonWalker) next() (json.Token, []byte, error) {
	from := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, errSyntax
	}
	to := w.dec.InputOffset()
	return tok, w.body[from:to], nil
}

func (w *jsonWalker) value(t reflect.Type, path string, depth int) error {
	if depth > maxDepth {
		return badBody("body nested more than %d levels deep", maxDepth)
	}
	tok, raw, err := w.next()
	if err != nil {
		return err
	}
	t = deref(t)
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return w.object(t, path, depth)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for w.dec.More() {
				if err := w.value(elem, path+"[]", depth+1); err != nil {
					return err
				}
			}
			_, _, err := w.next() // ]
			return err
		}
	case string:
		if !validString(raw) {
			return &getpaid.FieldError{Field: path, Reason: "not valid UTF-8", Err: getpaid.ErrInvalidRequest}
		}
	}
	return nil
}

func (w *jsonWalker) object(t reflect.Type, path string, depth int) error {
	fields := jsonFields(t)
	seen := map[string]string{} // folded key -> key as given
	for w.dec.More() {
		tok, raw, err := w.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if !validString(raw) {
			return badBody("an object key is not valid UTF-8")
		}
		folded := foldKey(key)
		if prev, dup := seen[folded]; dup {
			if prev == key {
				return badBody("key %q is given twice", join(path, key))
			}
			return badBody("keys %q and %q differ only in case", join(path, prev), join(path, key))
		}
		seen[folded] = key
		var ft reflect.Type
		switch {
		case fields != nil:
			if f, ok := fields[key]; ok {
				ft = f.typ
			} else {
				for name := range fields {
					if foldKey(name) == folded {
						return badBody("key %q: keys are case-sensitive, did you mean %q?", join(path, key), join(path, name))
					}
				}
				if w.unknown == "" {
					w.unknown = join(path, key)
					w.known = slices.Sorted(maps.Keys(fields))
				}
			}
		case t != nil && t.Kind() == reflect.Map:
			ft = t.Elem()
		}
		if err := w.value(ft, join(path, key), depth+1); err != nil {
			return err
		}
	}
	_, _, err := w.next() // }
	return err
}

type jsonField struct{ typ reflect.Type }

// fieldMaps caches jsonFields' maps by type: request types are few, and a
// create request was two maps built per request.
var fieldMaps sync.Map // reflect.Type -> map[string]jsonField

// jsonFields maps the JSON names of struct type t's fields to their types;
// nil when t is not a struct. The map is shared: it must not be changed.
func jsonFields(t reflect.Type) map[string]jsonField {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := fieldMaps.Load(t); ok {
		return m.(map[string]jsonField)
	}
	m, _ := fieldMaps.LoadOrStore(t, structFields(t))
	return m.(map[string]jsonField)
}

// structFields is jsonFields of struct type t, built.
func structFields(t reflect.Type) map[string]jsonField {
	out := map[string]jsonField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && !strings.Contains(tag, ",") {
			continue
		}
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			for k, v := range structFields(deref(f.Type)) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = jsonField{typ: f.Type}
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// join names a field inside path ("buyer" + "email" = "buyer.email").
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// validString reports whether raw, the bytes a JSON string token was read
// from (with any separator before it), is valid UTF-8 once decoded: no
// invalid bytes, and every \u escape of a UTF-16 surrogate is half of a
// pair (the decoder would replace a lone one with U+FFFD).
func validString(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return true
	}
	s := raw[i+1:]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			continue
		}
		i++
		if s[i] != 'u' {
			continue
		}
		r, ok := hex4(s[i+1:])
		if !ok {
			return true // a syntax error, for the decoder to report
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate first
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(s) || s[i+1] != '\\' || s[i+2] != 'u' {
				return false
			}
			lo, ok := hex4(s[i+3:])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// foldKey maps a key to a form shared by exactly the keys strings.EqualFold
// finds equal (each rune replaced by the smallest of its case-folding orbit).
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
