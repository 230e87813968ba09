package httpapi

import (
	"reflect"
	"unicode/utf8"
)

// cleanJSON reports whether body, a JSON request for type t, certainly
// passes checkJSON: its first value is well-formed JSON nested at most
// maxDepth deep, every string in it is valid UTF-8 with no \u escape of a
// UTF-16 surrogate, and every object's keys are ASCII, without escapes,
// distinct even when case is ignored, and (in an object read into a struct)
// each the exact JSON name of a field. It answers false for anything else, syntax errors included,
// and checkJSON then decides and says what is wrong. It is checkJSON's
// fast path: a create request went through encoding/json's tokenizer twice
// (about 4% of the server's CPU under load); this is one pass over the
// bytes, allocating only each struct's field map (jsonFields).
func cleanJSON(body []byte, t reflect.Type) bool {
	s := jsonScan{b: body}
	return s.value(t, 0)
}

type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value read into t (nil: no type known) at depth.
func (s *jsonScan) value(t reflect.Type, depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	t = deref(t)
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(t, depth)
	case c == '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		if s.empty(']') {
			return true
		}
		for {
			if !s.value(elem, depth+1) {
				return false
			}
			if more, ok := s.sep(']'); !more {
				return ok
			}
		}
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// object scans an object read into t, the '{' next.
func (s *jsonScan) object(t reflect.Type, depth int) bool {
	var fields map[string]jsonField
	isStruct := t != nil && t.Kind() == reflect.Struct
	if isStruct {
		fields = jsonFields(t)
	}
	var keys [16][2]int // the keys so far, as spans of b (more: not the fast path)
	n := 0
	if s.empty('}') {
		return true
	}
	for {
		s.ws()
		from, to, ok := s.str()
		if !ok || n == len(keys) {
			return false
		}
		key := s.b[from:to]
		for _, c := range key {
			if c >= utf8.RuneSelf || c == '\\' {
				return false
			}
		}
		for _, k := range keys[:n] {
			if asciiEqualFold(s.b[k[0]:k[1]], key) {
				return false
			}
		}
		keys[n] = [2]int{from, to}
		n++
		var ft reflect.Type
		switch {
		case isStruct:
			f, ok := fields[string(key)]
			if !ok {
				return false
			}
			ft = f.typ
		case t != nil && t.Kind() == reflect.Map:
			ft = t.Elem()
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		if !s.value(ft, depth+1) {
			return false
		}
		if more, ok := s.sep('}'); !more {
			return ok
		}
	}
}

// empty scans past an array's or object's opening bracket, the next byte,
// and reports whether closing follows at once (and scans past it too).
func (s *jsonScan) empty(closing byte) bool {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		return true
	}
	return false
}

// sep scans what follows a member of an array or object: a comma (more is
// true) or its closing bracket.
func (s *jsonScan) sep(closing byte) (more, ok bool) {
	s.ws()
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case ',':
			s.i++
			return true, true
		case closing:
			s.i++
			return false, true
		}
	}
	return false, false
}

// str scans a string, the '"' next, and returns the span of its contents:
// false for an escape other than the one-letter ones, a control character,
// invalid UTF-8 or no closing quote.
func (s *jsonScan) str() (from, to int, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, 0, false
	}
	s.i++
	from = s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			to = s.i
			s.i++
			return from, to, ascii || utf8.Valid(s.b[from:to])
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return 0, 0, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
				continue
			case 'u':
				// Go's encoder writes <, > and & so; a surrogate is
				// left to checkJSON, which checks that it is half of a pair.
				if r, ok := hex4(s.b[s.i+2:]); ok && (r < 0xD800 || r > 0xDFFF) {
					s.i += 6
					continue
				}
			}
			return 0, 0, false // a surrogate, or not an escape
		case c < 0x20:
			return 0, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return 0, 0, false
}

// number scans a number as JSON writes one.
func (s *jsonScan) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits scans one or more digits.
func (s *jsonScan) digits() bool {
	from := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > from
}

func (s *jsonScan) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// asciiEqualFold reports whether a and b, ASCII, are equal ignoring case:
// for ASCII keys, what foldKey makes equal.
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
