package httpapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// ClientIP returns the address of whoever sent r. The forwarding header (see
// Config.ProxyHeader) is honoured only when the direct peer is a trusted
// proxy; its hops are walked right to left, skipping trusted proxies, and the
// first untrusted address is the client. A hop that is not an address (a
// name, "unknown", an obfuscated identifier, an IPv6 zone) ends the walk:
// the last address known is taken. Everyone else's forwarding headers are
// ignored.
func (h *Handler) ClientIP(r *http.Request) string {
	a, _ := h.origin(r)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Scheme returns "https" or "http": how the client reached getpaid. A
// trusted proxy's report (X-Forwarded-Proto: its rightmost scheme, the
// nearest proxy's, or the client's hop's when there is one per
// X-Forwarded-For hop; or proto= of the client's Forwarded element) is
// believed; otherwise r.TLS says. Use it to refuse
// plain-http calls behind a TLS proxy or to mark cookies Secure.
func (h *Handler) Scheme(r *http.Request) string {
	_, proto := h.origin(r)
	return proto
}

// origin resolves r's client address and scheme.
func (h *Handler) origin(r *http.Request) (netip.Addr, string) {
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	peer, ok := peerAddr(r)
	if !ok || !trusted(peer, h.proxies) {
		return peer, proto
	}
	// The hops are read from the right, only as far as the walk goes: a
	// client behind an appending proxy may send thousands of them (15 KB
	// of commas), which the walk stops at at once.
	client := peer
	walk := func(hp hop) bool {
		if !hp.ok {
			return false // not an address: stop believing the chain here
		}
		client = hp.addr
		if p, ok := schemeOf(hp.proto); ok {
			proto = p
		}
		return trusted(client, h.proxies)
	}
	if h.forwarded {
		els := elements{lines: r.Header.Values("Forwarded")}
		for e, ok := els.next(); ok && walk(parseElement(e)); e, ok = els.next() {
		}
		return client, proto
	}
	fors := listCursor{lines: r.Header.Values("X-Forwarded-For")}
	// The rightmost scheme is the nearest trusted proxy's report; what is
	// left of it may be the client's own claim, kept by a proxy that
	// appends. One per hop, the walk takes the client's hop's.
	protoLines := r.Header.Values("X-Forwarded-Proto")
	protos := listCursor{lines: protoLines}
	if p, ok := protos.next(); ok {
		if p, ok := schemeOf(p); ok {
			proto = p
		}
	}
	perHop := listLen(protoLines) == listLen(fors.lines)
	protos = listCursor{lines: protoLines}
	for s, ok := fors.next(); ok; s, ok = fors.next() {
		var hp hop
		hp.addr, hp.ok = parseNode(s)
		if perHop {
			hp.proto, _ = protos.next()
		}
		if !walk(hp) {
			break
		}
	}
	return client, proto
}

// hop is one entry of a forwarding header: the address it names (ok false
// when it names none) and, in Forwarded, the scheme of that hop.
type hop struct {
	addr  netip.Addr
	ok    bool
	proto string
}

// listCursor reads a list header's values (its lines split at commas,
// blanks trimmed) from the right, one at a time.
type listCursor struct {
	lines []string // the lines not reached yet
	line  string   // what is left of the line being read
	open  bool     // whether line has a value left
}

// next returns the next value from the right, or false when none is left.
func (c *listCursor) next() (string, bool) {
	if !c.open {
		if len(c.lines) == 0 {
			return "", false
		}
		c.line, c.lines, c.open = c.lines[len(c.lines)-1], c.lines[:len(c.lines)-1], true
	}
	i := strings.LastIndexByte(c.line, ',')
	v := c.line[i+1:]
	if i < 0 {
		c.open = false
	} else {
		c.line = c.line[:i]
	}
	return strings.TrimSpace(v), true
}

// listLen is how many values a list header's lines hold.
func listLen(lines []string) int {
	n := 0
	for _, l := range lines {
		n += strings.Count(l, ",") + 1
	}
	return n
}

func schemeOf(p string) (string, bool) {
	switch p = strings.ToLower(p); p {
	case "http", "https":
		return p, true
	}
	return "", false
}

// parseNode reads one address as proxies write them: "192.0.2.1",
// "192.0.2.1:8080", "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:443".
// A zone ("fe80::1%eth0"), a name, "unknown" or an obfuscated identifier
// ("_hidden") is not an address.
func parseNode(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	host := s
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
			return netip.Addr{}, false
		}
	case strings.Count(s, ":") == 1:
		var port string
		host, port, _ = strings.Cut(s, ":")
		if !validPort(port) {
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	if strings.HasPrefix(s, "[") && !a.Is6() {
		return netip.Addr{}, false // [192.0.2.1] is no address syntax
	}
	if !strings.HasPrefix(s, "[") && strings.Count(s, ":") == 1 && !a.Is4() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validPort accepts a decimal port; Forwarded also allows an obfuscated one
// ("_abc"), which hides nothing getpaid needs.
func validPort(p string) bool {
	if strings.HasPrefix(p, "_") && len(p) > 1 {
		return true
	}
	if p == "" || len(p) > 5 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseElement reads one element of an RFC 7239 Forwarded header (see
// elements) into a hop: a list of name=value pairs separated by
// semicolons, values tokens or quoted strings. An element without for=
// names no address; a malformed one names none either, so the walk stops
// there.
func parseElement(elem string) hop {
	h := hop{}
	var seen names // the element's parameter names: each at most once (RFC 7239 §4)
	for _, pair := range splitQuoted(elem, ';') {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, val, ok := strings.Cut(pair, "=")
		if !ok {
			return hop{}
		}
		val, ok = unquote(strings.TrimSpace(val))
		if !ok {
			return hop{}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if !seen.add(name) {
			return hop{} // which of the two would be the proxy's?
		}
		switch name {
		case "for":
			h.addr, h.ok = parseNode(val)
		case "proto":
			h.proto = val
		}
	}
	return h
}

// names is a set of parameter names: a list for the few a proxy writes, a
// map past them, so that an element of thousands a client sent through its
// proxy is read in linear time (looking each up in a list took 37 ms of
// CPU for 15 KiB of them, on every request).
type names struct {
	list []string
	set  map[string]struct{}
}

// add adds name, reporting false when it is there already.
func (n *names) add(name string) bool {
	if n.set == nil {
		if slices.Contains(n.list, name) {
			return false
		}
		if n.list = append(n.list, name); len(n.list) <= 8 {
			return true
		}
		n.set = make(map[string]struct{}, 2*len(n.list))
		for _, s := range n.list {
			n.set[s] = struct{}{}
		}
		return true
	}
	if _, ok := n.set[name]; ok {
		return false
	}
	n.set[name] = struct{}{}
	return true
}

// elements reads the elements of Forwarded header lines from the right,
// one at a time (the last line first): each line is split at commas
// outside double-quoted strings, read from the right, as a proxy may append
// its element to the line the client sent, and a quote the client left
// open must not swallow it (read from the left, everything after that
// quote is one string). What the client sent stays garbage, where the walk
// stops.
type elements struct {
	lines []string // the lines not reached yet
	line  string   // the line being read
	end   int      // line[:end] is what is left of it
	open  bool     // whether line has an element left
}

// next returns the next element from the right, or false when none is
// left.
func (c *elements) next() (string, bool) {
	if !c.open {
		if len(c.lines) == 0 {
			return "", false
		}
		c.line, c.lines, c.open = c.lines[len(c.lines)-1], c.lines[:len(c.lines)-1], true
		c.end = len(c.line)
	}
	s, quoted := c.line, false
	for i := c.end - 1; i >= 0; i-- {
		switch ch := s[i]; {
		case ch == '"' && !quoted:
			quoted = true // a string's closing quote, read backwards
		case ch == '"':
			n := 0 // backslashes before it: odd, the quote is escaped
			for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				quoted = false
			}
		case ch == ',' && !quoted:
			e := s[i+1 : c.end]
			c.end = i
			return e, true
		}
	}
	c.open = false
	return s[:c.end], true
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote returns a token as is and a quoted string without its quotes and
// escapes; false for a broken quoted string.
func unquote(v string) (string, bool) {
	if !strings.HasPrefix(v, `"`) {
		return v, !strings.ContainsAny(v, "\" \t")
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", false
	}
	var b strings.Builder
	inner := v[1 : len(v)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c == '\\' {
			if i+1 == len(inner) {
				return "", false
			}
			i++
			c = inner[i]
		} else if c == '"' {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

func peerAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// unmappedProxy is p as peers are compared with it: an IPv4-mapped prefix
// as the IPv4 one it is (::ffff:10.0.0.0/104 is 10.0.0.0/8, and
// ::ffff:10.0.0.1/128, what netip.AddrFromSlice makes of a net.IP, is
// 10.0.0.1/32), masked.
func unmappedProxy(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() {
		return p, errors.New("not a valid prefix")
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return p, errors.New("an IPv4-mapped prefix needs at least 96 bits")
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// ParseProxies parses trusted proxy entries: addresses ("10.0.0.1") or CIDR
// prefixes ("10.0.0.0/8").
func ParseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix like 10.0.0.0/8", s)
			}
			p, err = unmappedProxy(p)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix like 10.0.0.0/8", s)
		}
		if a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: give the address without a zone", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
