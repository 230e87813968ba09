package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every secret.
const secretPrefix = "whsec_"

// ParseSecret decodes a "whsec_<base64>" secret into the HMAC key. The
// prefix is optional, as in the specification's reference libraries.
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhook: secret: want %s followed by base64: %w", secretPrefix, err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("webhook: secret: %d bytes is too short (want at least 16; NewSecret makes 32)", len(key))
	}
	return key, nil
}

// NewSecret returns a new random secret in the "whsec_<base64>" form.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// Sign returns the signature of one message with one key: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body".
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	return SignatureHeader([][]byte{key}, id, timestamp, body)
}

// SignatureHeader is the webhook-signature value for several keys (a
// rotation): one signature per key, space-separated.
func SignatureHeader(keys [][]byte, id string, timestamp int64, body []byte) string {
	var b strings.Builder
	b.Grow(len(keys) * (sigLen + 1))
	pre := signedPrefix(nil, id, strconv.AppendInt(nil, timestamp, 10))
	var sum [sha256.Size]byte
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeSignature(&b, hmac.New(sha256.New, k), sum[:], pre, body)
	}
	return b.String()
}

// sigLen is the length of one signature: "v1," and 32 bytes in base64.
var sigLen = len("v1,") + base64.StdEncoding.EncodedLen(sha256.Size)

// signer signs with one key; it keeps HMACs keyed already (their pads
// hashed) for the next messages.
type signer struct{ pool sync.Pool }

// mac is one keyed HMAC and room for its sum.
type mac struct {
	h   hash.Hash
	sum [sha256.Size]byte
	pre []byte // "id.ts."
}

func newSigner(key []byte) *signer {
	key = slices.Clone(key)
	s := &signer{}
	s.pool.New = func() any { return &mac{h: hmac.New(sha256.New, key)} }
	return s
}

// writeSignatures writes the webhook-signature value of "id.ts.body" for
// signers to b: one signature per signer, space-separated.
func writeSignatures(b *strings.Builder, signers []*signer, id string, ts, body []byte) {
	b.Grow(len(signers) * (sigLen + 1))
	for i, s := range signers {
		m := s.pool.Get().(*mac)
		m.pre = signedPrefix(m.pre[:0], id, ts)
		if i > 0 {
			b.WriteByte(' ')
		}
		writeSignature(b, m.h, m.sum[:], m.pre, body)
		s.pool.Put(m)
	}
}

// signedPrefix appends "id.ts." to dst: what a signature covers before the
// body.
func signedPrefix(dst []byte, id string, ts []byte) []byte {
	return append(append(append(append(dst, id...), '.'), ts...), '.')
}

// writeSignature writes "v1," and the base64 HMAC of pre and body to b,
// with h (reset first, so a pooled one serves again) and sum as room for
// the sum.
func writeSignature(b *strings.Builder, h hash.Hash, sum, pre, body []byte) {
	h.Reset()
	h.Write(pre)
	h.Write(body)
	sum = h.Sum(sum[:0])
	var enc [64]byte
	n := base64.StdEncoding.EncodedLen(len(sum))
	base64.StdEncoding.Encode(enc[:n], sum)
	b.WriteString("v1,")
	b.Write(enc[:n])
}

// DefaultTolerance is how far a webhook's timestamp may be from the
// receiver's clock: older (or newer) messages are refused as replays.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrTimestamp      = errors.New("webhook: timestamp outside the tolerance (a replay, or a wrong clock)")
	ErrSignature      = errors.New("webhook: no valid signature")
)

// headerValue is h's first value of key, also when h was made from a plain
// map with keys not in canonical form ("webhook-id", as serverless
// platforms hand headers over).
func headerValue(h http.Header, key string) string {
	if v := h.Get(key); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, key) {
			return vs[0]
		}
	}
	return ""
}

// Verify checks a webhook request: its timestamp within tolerance of now (0
// means DefaultTolerance) and a v1 signature made with one of the secrets
// (give both while rotating). body must be the raw request body. It returns
// the webhook id, the key to dedupe by.
func Verify(secrets []string, header http.Header, body []byte, tolerance time.Duration, now time.Time) (string, error) {
	id, ts, sigs := headerValue(header, HeaderID), headerValue(header, HeaderTimestamp), headerValue(header, HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, ts)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return "", ErrTimestamp
	}
	for _, s := range secrets {
		key, err := ParseSecret(s)
		if err != nil {
			return "", err
		}
		want := Sign(key, id, sec, body)
		for _, got := range strings.Fields(sigs) {
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
				return id, nil
			}
		}
	}
	return "", ErrSignature
}
