package edge

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Content Security Policies. Every policy forbids framing (clickjacking of a
// payment page), <base> (relative URLs rewritten by injected markup) and
// every kind of content not named. None sets form-action: each form getpaid
// serves ends in a redirect to an origin the page cannot name (the broker's
// page, the bank the broker sends on to, the shop's return URL), and
// browsers check form-action against every redirect of a submission.
const (
	// StrictCSP is for answers that are not pages (JSON, plain text):
	// nothing may load from them and nobody may frame them.
	StrictCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
	// PageCSP is for a server-rendered page without scripts: the one
	// stylesheet every page inlines (internal/ui's, allowed by its hash),
	// nothing else. The hash is written here because ui imports this
	// package; ui's tests fail, naming the new hash, when style.css
	// changes.
	PageCSP = "default-src 'none'; style-src 'sha256-54HlVryTdC1dAjt1ORxvFrij0KYVXMcezbhaZ0J6WGQ='; frame-ancestors 'none'; base-uri 'none'"
)

// ScriptCSP is PageCSP allowing exactly the inline scripts whose source
// hashes are given (see ScriptHash).
func ScriptCSP(hashes ...string) string {
	if len(hashes) == 0 {
		return PageCSP
	}
	return PageCSP + "; script-src " + strings.Join(hashes, " ")
}

// ScriptHash is the CSP source expression ('sha256-...') allowing an inline
// script whose text, between <script> and </script>, is exactly script.
func ScriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// InlineScripts returns the text of every <script>...</script> element of
// page (a template's source or a rendered page), for hashing.
func InlineScripts(page string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(page, "<script>")
		if !ok {
			return out
		}
		script, after, ok := strings.Cut(rest, "</script>")
		if !ok {
			return out
		}
		out = append(out, script)
		page = after
	}
}

// strictHeaders are SetStrict's headers, their keys canonical and each value
// a slice of one element whose capacity is one: answers share them (no
// allocation per answer), and an Add to one answer's header appends to a
// copy, never to the shared array. Nothing may write into one in place.
var strictHeaders = [...]struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{StrictCSP}},
	{"X-Frame-Options", []string{"DENY"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"Cache-Control", []string{"no-store"}},
}

// SetStrict sets the headers every answer carries: the strict policy,
// no framing, no MIME sniffing, no full URL in a cross-origin Referer, and
// no caching (answers hold payment data). A page replaces the policy with
// SetPage. It is h.Set of each, without an allocation per header.
func SetStrict(h http.Header) {
	for _, kv := range strictHeaders {
		h[kv.key] = kv.value
	}
}

// HSTS is the Strict-Transport-Security of an answer to a request that came
// over https: a year of https only for this host (not its subdomains, which
// may be another team's). Over plain http browsers ignore it, so it is sent
// only over https.
const HSTS = "max-age=31536000"

var hstsValue = []string{HSTS} // shared as strictHeaders' values are

// SetHSTS sets Strict-Transport-Security when the request was made over
// https (scheme, as the Handler's Scheme tells it).
func SetHSTS(h http.Header, scheme string) {
	if scheme == "https" {
		h["Strict-Transport-Security"] = hstsValue
	}
}

// SetPage sets the headers of an HTML page answered with policy csp
// (PageCSP, or ScriptCSP for a page with inline scripts). The page sets its
// own Content-Type.
func SetPage(h http.Header, csp string) {
	SetStrict(h)
	h.Set("Content-Security-Policy", csp)
}

// Page serves next with the headers of a page without scripts set before
// it runs (next may still change them).
func Page(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetPage(w.Header(), PageCSP)
		next.ServeHTTP(w, r)
	})
}

// FormPage is Page for a page that takes a form: a POST, PUT or PATCH body
// is read through l first, at most max bytes, and answered 413 when too
// large, 503 (Retry-After: 1) when l is busy, and 400 when it cannot be
// read; next then reads the body from memory.
func FormPage(l *Limiter, max int64, next http.Handler) http.Handler {
	return Page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		b, err := l.Read(r.Body, r.ContentLength, max)
		if err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			switch {
			case errors.Is(err, ErrTooLarge):
				http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
			case errors.Is(err, ErrBusy):
				w.Header().Set("Retry-After", "1")
				http.Error(w, "busy, try again", http.StatusServiceUnavailable)
			default:
				http.Error(w, "form could not be read", http.StatusBadRequest)
			}
			return
		}
		defer b.Release()
		r.Body = io.NopCloser(bytes.NewReader(b.Bytes))
		r.ContentLength = int64(len(b.Bytes))
		next.ServeHTTP(w, r)
	}))
}
