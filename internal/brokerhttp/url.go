package brokerhttp

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// CheckURL checks a backend's URL setting named name (api_url, jws_prefix,
// refund_notify_url): an absolute http(s) URL with a host, and nothing that
// would make every call to it fail or be sent elsewhere than written: no
// blank, no user or password (it would be shown wherever the setting is,
// the log included), no query or fragment (paths are appended to it), and a
// port, when given, from 1 to 65535. The error names the setting and never
// shows a password.
func CheckURL(name, raw string) error {
	if i := strings.IndexFunc(raw, unicode.IsSpace); i >= 0 {
		// Go's parser takes a blank in a path and sends it as %20.
		return fmt.Errorf("%s %q: a blank at byte %d (pasted with a space or a newline?); a URL has none", name, raw, i)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// A port alone (http://:8080) is no host: Go's client would call
		// this machine.
		return fmt.Errorf("%s %q: want an absolute http(s) URL with a host", name, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%s %q: a user or password in it would be shown wherever the setting is, the log included; the backend's own settings authenticate it", name, u.Redacted())
	}
	if strings.Contains(raw, "?") {
		return fmt.Errorf("%s %q: a query (?...): the backend appends its paths to this URL; leave it out", name, raw)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("%s %q: a fragment (#...) is never sent; leave it out", name, raw)
	}
	if strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]") { // a port given, not an IPv6 address's colons
		if p := u.Port(); p != strconv.Itoa(atoi(p)) || atoi(p) < 1 || atoi(p) > 65535 {
			return fmt.Errorf("%s %q: the port %q: want 1 to 65535 (or none, for the scheme's own)", name, raw, p)
		}
	}
	return nil
}

// atoi is p as a number, or -1.
func atoi(p string) int {
	n, err := strconv.Atoi(p)
	if err != nil {
		return -1
	}
	return n
}
