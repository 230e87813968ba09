package getpaid

import (
	"regexp"
	"strings"
)

// ShownConsumer is a consumer's name as people and logs are shown it: a
// webhook endpoint's ("webhook:URL") with the URL's user part and the
// values of its query hidden (xxxxx), as they may hold a secret
// (https://shop.example/hook?token=…); the query's keys stay, so that
// endpoints can still be told apart. Other names are returned as they are.
// The name itself, unchanged, is what deliveries are kept and selected by.
func ShownConsumer(name string) string {
	raw, ok := strings.CutPrefix(name, "webhook:")
	if !ok {
		return name
	}
	return "webhook:" + ShownURL(raw)
}

// ShownURL is raw, a URL as configured (a webhook endpoint's), with its
// user part and its query's values hidden as ShownConsumer hides them, read
// as loosely as a URL that does not parse needs: the user part up to the
// last @ before the first /, ? or #. Text without "://" (a scheme mistyped
// or left out: "https:/u:pw@host", "u:pw@host") loses what follows what
// reads as its scheme up to the last @ before the first ? or #, and its
// query's values.
func ShownURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	var end int
	if ok {
		scheme += "://"
		end = strings.IndexAny(rest, "/?#")
	} else {
		scheme = schemeTypo.FindString(raw)
		rest = raw[len(scheme):]
		end = strings.IndexAny(rest, "?#")
	}
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = "xxxxx" + rest[at:]
	}
	path, query, ok := strings.Cut(rest, "?")
	if !ok {
		return scheme + rest
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	parts := strings.Split(query, "&")
	for i, p := range parts {
		switch k, v, eq := strings.Cut(p, "="); {
		case eq && v != "":
			parts[i] = k + "=xxxxx"
		case !eq && p != "":
			parts[i] = "xxxxx" // a bare value (?SECRET)
		}
	}
	out := scheme + path + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// schemeTypo is what starts a URL as its scheme would, its slashes mistyped
// ("https:/", "https:") or a user's name before its password's colon:
// ShownURL keeps it, to show the slip.
var schemeTypo = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:/*`)
