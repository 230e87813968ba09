package payu

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Signature header names; real traffic carries both (brokers.md §1.8).
const (
	HeaderSignature  = "OpenPayu-Signature"
	HeaderXSignature = "X-OpenPayU-Signature"
)

// Canonical algorithm names as PayU writes them.
const (
	AlgMD5    = "MD5"
	AlgSHA1   = "SHA-1"
	AlgSHA256 = "SHA-256"
	AlgSHA384 = "SHA-384"
	AlgSHA512 = "SHA-512"
)

// canonicalAlg maps the spellings PayU's SDK accepts to a canonical name.
// "SHA" is SHA-256, as the SDK's form signer reads it (generateSignData) and
// brokers.md §1.8 lists it; the SDK's notification verifier reads it as
// SHA-1 (verifySignature), which getpaid refuses anyway, so the only
// difference is that a SHA-256 signature labelled "SHA" is accepted here.
func canonicalAlg(alg string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(alg)) {
	case "MD5":
		return AlgMD5, true
	case "SHA-1", "SHA1":
		return AlgSHA1, true
	case "SHA-256", "SHA256", "SHA":
		return AlgSHA256, true
	case "SHA-384", "SHA384":
		return AlgSHA384, true
	case "SHA-512", "SHA512":
		return AlgSHA512, true
	}
	return "", false
}

func newHash(canonical string) hash.Hash {
	switch canonical {
	case AlgMD5:
		return md5.New()
	case AlgSHA1:
		return sha1.New()
	case AlgSHA256:
		return sha256.New()
	case AlgSHA384:
		return sha512.New384()
	case AlgSHA512:
		return sha512.New()
	}
	return nil
}

// digest is hash(message ‖ key), PayU's signing rule for notifications and forms.
func digest(canonical string, message []byte, key string) []byte {
	h := newHash(canonical)
	h.Write(message)
	h.Write([]byte(key))
	return h.Sum(nil)
}

// Sign returns hex(ALG(message ‖ key)) for any algorithm PayU knows (MD5,
// SHA-1, SHA-256, SHA-384, SHA-512 and their aliases). It is how PayU signs
// notifications; simulators and "callback check" tools use it.
func Sign(algorithm string, message []byte, key string) (string, error) {
	c, ok := canonicalAlg(algorithm)
	if !ok {
		return "", fmt.Errorf("payu: unknown signature algorithm %q", algorithm)
	}
	return hex.EncodeToString(digest(c, message, key)), nil
}

// SignatureHeader is a parsed OpenPayu-Signature header value.
type SignatureHeader struct {
	Sender    string
	Signature string // hex
	Algorithm string // as sent
	Content   string // "DOCUMENT"
}

// ParseSignatureHeader parses "sender=..;signature=..;algorithm=..;content=..".
// Keys are case-insensitive and spaces around parts are ignored. A missing
// signature or algorithm is an error wrapping getpaid.ErrSignatureInvalid.
func ParseSignatureHeader(v string) (SignatureHeader, error) {
	var h SignatureHeader
	if strings.TrimSpace(v) == "" {
		return h, fmt.Errorf("payu: %w: empty signature header", getpaid.ErrSignatureInvalid)
	}
	for part := range strings.SplitSeq(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "sender":
			h.Sender = val
		case "signature":
			h.Signature = val
		case "algorithm":
			h.Algorithm = val
		case "content":
			h.Content = val
		}
	}
	if h.Signature == "" {
		return h, fmt.Errorf("payu: %w: no signature in header", getpaid.ErrSignatureInvalid)
	}
	if h.Algorithm == "" {
		return h, fmt.Errorf("payu: %w: no algorithm in header", getpaid.ErrSignatureInvalid)
	}
	return h, nil
}

// Policy says which algorithms a notification signature may use.
type Policy int

// Signature policies.
const (
	// PolicyPayU accepts what PayU sends: MD5 (PayU's default, keyed with
	// the POS's second key, as its documentation, sandbox and official SDK
	// do) and SHA-256, SHA-384, SHA-512.
	PolicyPayU Policy = iota
	// PolicyStrict accepts SHA-256, SHA-384 and SHA-512 only.
	PolicyStrict
)

// VerifyNotification checks a notification's raw body against its signature
// header value. SHA-256, SHA-384 and SHA-512 are always accepted, MD5 unless
// the policy is PolicyStrict, SHA-1 and unknown algorithms never. Every
// failure wraps getpaid.ErrSignatureInvalid. The comparison is constant-time.
func VerifyNotification(body []byte, header, secondKey string, policy Policy) error {
	if len(body) == 0 {
		return fmt.Errorf("payu: %w: empty body", getpaid.ErrSignatureInvalid)
	}
	h, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	alg, ok := canonicalAlg(h.Algorithm)
	switch {
	case !ok:
		return fmt.Errorf("payu: %w: unknown algorithm %q", getpaid.ErrSignatureInvalid, h.Algorithm)
	case alg == AlgSHA1:
		return fmt.Errorf("payu: %w: SHA-1 signatures are not accepted", getpaid.ErrSignatureInvalid)
	case alg == AlgMD5 && policy == PolicyStrict:
		return fmt.Errorf("payu: %w: MD5 signatures are refused (strict_signatures is on)", getpaid.ErrSignatureInvalid)
	}
	got, err := hex.DecodeString(h.Signature)
	if err != nil {
		return fmt.Errorf("payu: %w: signature is not hex", getpaid.ErrSignatureInvalid)
	}
	want := digest(alg, body, secondKey)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return fmt.Errorf("payu: %w: signature mismatch", getpaid.ErrSignatureInvalid)
	}
	return nil
}

// FormSignature signs the fields of PayU's legacy hosted payment form: field
// names sorted by byte order, "name=urlencode(value)&" for each (PHP
// urlencode: space as '+', everything but letters, digits and "-_." as %XX;
// names are not encoded; flatten nested names yourself, e.g. "products[0].name"),
// then the second key, hashed. It returns the header/field value
// "sender=<posID>;algorithm=<ALG>;signature=<hex>". Only SHA-256, SHA-384
// and SHA-512 are allowed, as in PayU's SDK (OpenPayU_Util::generateSignData);
// MD5 and SHA-1 are refused.
func FormSignature(fields map[string]string, secondKey, posID, algorithm string) (string, error) {
	alg, ok := canonicalAlg(algorithm)
	if !ok {
		return "", fmt.Errorf("payu: unknown signature algorithm %q", algorithm)
	}
	if alg == AlgMD5 || alg == AlgSHA1 {
		return "", fmt.Errorf("payu: form signatures use SHA-256, SHA-384 or SHA-512, not %s", alg)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(phpURLEncode(fields[k]))
		b.WriteByte('&')
	}
	sig := hex.EncodeToString(digest(alg, []byte(b.String()), secondKey))
	return "sender=" + posID + ";algorithm=" + alg + ";signature=" + sig, nil
}

// phpURLEncode matches PHP's urlencode (RFC 1738 style).
func phpURLEncode(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
}
