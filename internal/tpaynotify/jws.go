package tpaynotify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Tpay signs every notification it POSTs, the OpenAPI's and the legacy
// form's alike, with a detached JWS (docs-api.tpay.com/webhooks; the
// JWSVerifiedPaymentNotification of tpay-openapi-php and of the legacy
// tpay-php): these are where its certificates live.
const (
	// SignatureHeader is the header carrying a notification's detached JWS.
	SignatureHeader = "X-JWS-Signature"
	// ProductionJWSPrefix and SandboxJWSPrefix are where Tpay's
	// notification certificates live.
	ProductionJWSPrefix = "https://secure.tpay.com"
	SandboxJWSPrefix    = "https://secure.sandbox.tpay.com"
	// RootCertPath is where Tpay's notification root certificate lives under
	// the trusted prefix.
	RootCertPath = "/x509/tpay-jws-root.pem"
)

const (
	certTTL      = 2 * time.Hour // how long a fetched certificate is trusted before it is fetched again (Tpay's SDK: 7200 s)
	certRefetch  = time.Minute   // a verification failure refetches certificates at most this often
	maxCertBytes = 64 << 10
)

// jwsHeader is the protected header of Tpay's notification JWS.
type jwsHeader struct {
	Alg string `json:"alg"`
	X5U string `json:"x5u"`
}

// detachedJWS is a parsed X-JWS-Signature: the protected header as it came
// (the signing input uses these exact characters), decoded, and the signature.
type detachedJWS struct {
	protected string
	header    jwsHeader
	payload   string // the middle part: empty for a detached payload
	signature []byte
}

func sigInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{getpaid.ErrSignatureInvalid}, args...)...)
}

// JWSVerifier checks the detached JWS of Tpay's notifications against the
// certificates under one trusted prefix, which it fetches and caches. It is
// safe for concurrent use.
type JWSVerifier struct {
	prefix string // no trailing slash
	client *http.Client
	now    func() time.Time
	certs  certCache
}

// NewJWSVerifier returns a verifier trusting certificates under prefix (an
// absolute URL; a trailing slash is ignored), fetched with client, which
// must not follow redirects; now is the clock of the certificate cache (nil
// means time.Now).
func NewJWSVerifier(prefix string, client *http.Client, now func() time.Time) *JWSVerifier {
	if now == nil {
		now = time.Now
	}
	return &JWSVerifier{prefix: strings.TrimRight(prefix, "/"), client: client, now: now}
}

// Prefix is the trusted certificate prefix, without a trailing slash.
func (v *JWSVerifier) Prefix() string { return v.prefix }

// b64 decodes base64url with or without padding.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseJWS reads a compact JWS with a detached payload ("header..signature").
// Anything else wraps getpaid.ErrSignatureInvalid.
func parseJWS(v string) (*detachedJWS, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, sigInvalid("missing %s header", SignatureHeader)
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return nil, sigInvalid("%s is not a compact JWS (header..signature)", SignatureHeader)
	}
	raw, err := b64(parts[0])
	if err != nil {
		return nil, sigInvalid("JWS header is not base64url: %v", err)
	}
	var h jwsHeader
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, sigInvalid("JWS header is not a JSON object")
	}
	if err := dec.Decode(&h); err != nil {
		return nil, sigInvalid("JWS header is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF { // trailing data (More() is false before "]" or "}")
		return nil, sigInvalid("JWS header is not a JSON object")
	}
	sig, err := b64(parts[2])
	if err != nil || len(sig) == 0 {
		return nil, sigInvalid("JWS signature is not base64url")
	}
	return &detachedJWS{protected: parts[0], header: h, payload: parts[1], signature: sig}, nil
}

// trusted reports whether x5u lies under the trusted prefix: same scheme and
// host, and a path below the prefix's (a plain string prefix would let
// "https://secure.tpay.com.example" through).
func trusted(prefix, x5u string) bool {
	p, err1 := url.Parse(prefix)
	u, err2 := url.Parse(x5u)
	if err1 != nil || err2 != nil || u.User != nil || u.Fragment != "" {
		return false
	}
	if !strings.EqualFold(u.Scheme, p.Scheme) || !strings.EqualFold(u.Host, p.Host) {
		return false
	}
	base := strings.TrimRight(p.Path, "/") + "/"
	return strings.HasPrefix(u.Path, base) && !strings.Contains(u.Path, "/../") && !strings.HasSuffix(u.Path, "/..")
}

// Verify checks a notification's detached JWS (the X-JWS-Signature value)
// over the raw body: RS256,
// an x5u under the trusted prefix, a certificate signed by Tpay's root
// (fetched from under the prefix, both cached), and the signature over
// base64url(header) + "." + base64url(body). A bad signature wraps
// getpaid.ErrSignatureInvalid; a certificate that cannot be fetched is a
// retryable *getpaid.BrokerError (Tpay sends the notification again).
func (v *JWSVerifier) Verify(ctx context.Context, header string, body []byte) error {
	j, err := parseJWS(header)
	if err != nil {
		return err
	}
	if j.header.Alg != "RS256" {
		return sigInvalid("JWS alg %q, want RS256", j.header.Alg)
	}
	if !trusted(v.prefix, j.header.X5U) {
		return sigInvalid("certificate URL %q is not under the trusted prefix %s", j.header.X5U, v.prefix)
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	if j.payload != "" && strings.TrimRight(j.payload, "=") != payload {
		return sigInvalid("JWS payload is not the notification body")
	}
	digest := sha256.Sum256([]byte(j.protected + "." + payload))
	rootURL := v.prefix + RootCertPath
	for attempt := 0; ; attempt++ {
		leaf, leafAge, err := v.certs.get(ctx, v, j.header.X5U, attempt > 0)
		if err != nil {
			if errors.As(err, new(*noCertError)) && !v.certs.has(j.header.X5U) {
				// x5u is the sender's choice: one that never served a
				// certificate signs nothing. Answering 5xx (retry) would
				// let anyone make getpaid fetch URL after URL from the
				// prefix's host, never counted as a forger.
				return sigInvalid("certificate URL %q serves no certificate: %v", j.header.X5U, err)
			}
			return err
		}
		root, rootAge, err := v.certs.get(ctx, v, rootURL, attempt > 0)
		if err != nil {
			return err
		}
		// A failure with certificates fetched a while ago may be a rotation:
		// fetch them again once (at most every certRefetch).
		stale := attempt == 0 && (leafAge > certRefetch || rootAge > certRefetch)
		// Tpay's documented check (openssl_x509_verify in its example): the
		// root's key signed the signing certificate. Not a full path
		// validation: Tpay does not promise CA flags, key usages or dates
		// that one would demand, and refusing what Tpay signs would leave
		// every payment to polling. Trust comes from the prefix (HTTPS, Tpay's
		// host) the root and the certificate are fetched from.
		if err := root.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
			if stale {
				continue
			}
			return sigInvalid("signing certificate does not chain to Tpay's root: %v", err)
		}
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok {
			return sigInvalid("signing certificate holds no RSA key")
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], j.signature); err != nil {
			if stale {
				continue
			}
			return sigInvalid("JWS signature does not match the body")
		}
		return nil
	}
}

// certCache holds fetched certificates by URL. Callers wanting one that is
// being fetched wait for that fetch (and fetch it themselves if its caller
// went away before it ended).
type certCache struct {
	mu      sync.Mutex
	entries map[string]*certEntry
}

type certEntry struct {
	cert     *x509.Certificate
	fetched  time.Time
	inflight chan struct{}
	err      error
	// abandoned: the last fetch failed with its caller gone (its context
	// ended), which says nothing of the certificate to those waiting.
	abandoned bool
}

// get returns the certificate at u and its age, fetching it when absent,
// older than certTTL, or (with refresh) older than certRefetch.
func (c *certCache) get(ctx context.Context, v *JWSVerifier, u string, refresh bool) (*x509.Certificate, time.Duration, error) {
	for {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = map[string]*certEntry{}
		}
		e := c.entries[u]
		if e != nil && e.inflight != nil {
			ch := e.inflight
			c.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, 0, &getpaid.BrokerError{Op: "tpay: fetch certificate", Retryable: true, Err: ctx.Err()}
			}
			c.mu.Lock()
			if e.err != nil && e.cert == nil {
				if e.abandoned && ctx.Err() == nil {
					// The fetcher's caller went away (Tpay hung up on
					// its notification): this one fetches it itself.
					c.mu.Unlock()
					continue
				}
				err := e.err
				c.mu.Unlock()
				return nil, 0, err
			}
			c.mu.Unlock()
			refresh = false // just fetched
			continue
		}
		now := v.now()
		if e != nil && e.cert != nil {
			age := now.Sub(e.fetched)
			if age < certTTL && (!refresh || age < certRefetch) {
				cert := e.cert
				c.mu.Unlock()
				return cert, age, nil
			}
		}
		if e == nil {
			c.evictLocked()
			e = &certEntry{}
			c.entries[u] = e
		}
		ch := make(chan struct{})
		e.inflight = ch
		c.mu.Unlock()
		cert, err := v.fetchCert(ctx, u)
		c.mu.Lock()
		e.inflight, e.err, e.abandoned = nil, err, err != nil && ctx.Err() != nil
		if err == nil {
			e.cert, e.fetched = cert, v.now()
		} else if e.cert == nil && c.entries[u] == e {
			delete(c.entries, u) // keep no failures: x5u is chosen by the sender
		}
		c.mu.Unlock()
		close(ch)
		if err != nil {
			return nil, 0, err
		}
		return cert, 0, nil
	}
}

// has reports whether a certificate fetched from u is held.
func (c *certCache) has(u string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[u]
	return e != nil && e.cert != nil
}

// noCertError is a fetch answered, but not with a certificate: a 4xx
// (other than 408 and 429), or a 200 without a PEM certificate. It is a
// retryable *getpaid.BrokerError (Tpay's own certificate may be missing for
// a moment), unless the URL is one no certificate ever came from (Verify).
type noCertError struct{ *getpaid.BrokerError }

func (e *noCertError) Unwrap() error { return e.BrokerError }

// maxCerts bounds the cache: Tpay uses two certificates (the signing one and
// its root); x5u values are the sender's to choose.
const maxCerts = 16

// evictLocked drops the oldest settled entry when the cache is full; c.mu is held.
func (c *certCache) evictLocked() {
	if len(c.entries) < maxCerts {
		return
	}
	var oldest string
	for u, e := range c.entries {
		if e.inflight == nil && (oldest == "" || e.fetched.Before(c.entries[oldest].fetched)) {
			oldest = u
		}
	}
	if oldest != "" {
		delete(c.entries, oldest)
	}
}

// fetchCert downloads a PEM certificate.
func (v *JWSVerifier) fetchCert(ctx context.Context, u string) (*x509.Certificate, error) {
	const op = "tpay: fetch certificate"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: err}
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("%s: %w", u, err)}
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, resp.Body, maxCertBytes)); err != nil {
		return nil, &getpaid.BrokerError{Op: op, Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("%s: %w", u, err)}
	}
	if resp.StatusCode != http.StatusOK {
		be := &getpaid.BrokerError{Op: op, Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("%s answered %s", u, resp.Status)}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			return nil, &noCertError{be}
		}
		return nil, be
	}
	block, _ := pem.Decode(buf.Bytes())
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, &noCertError{&getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("%s holds no PEM certificate", u)}}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, &noCertError{&getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("%s: %w", u, err)}}
	}
	return cert, nil
}

// CloseIdleConnections closes the connections kept open to the
// certificates' host.
func (v *JWSVerifier) CloseIdleConnections() { brokerhttp.CloseIdle(v.client) }
