package tpaynotify

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// PKI is a simulated Tpay notification PKI, for the simulators: a root
// certificate and the signing certificate it issued, with their keys.
// Minting RSA keys takes a moment: tests running many simulators share one.
type PKI struct {
	RootKey *rsa.PrivateKey
	Root    *x509.Certificate
	Key     *rsa.PrivateKey // signs notifications
	Cert    *x509.Certificate
}

// NewPKI mints a root and a signing certificate (RSA 2048, valid from an hour
// ago for ten years).
func NewPKI() (*PKI, error) {
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "Tpay JWS root (simulator)", Organization: []string{"getpaid tpaytest"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p := &PKI{RootKey: rootKey, Root: root}
	if p.Key, p.Cert, err = p.Issue("notifications-jws (simulator)"); err != nil {
		return nil, err
	}
	return p, nil
}

// Issue mints a new signing key and a certificate for it issued by the root.
func (p *PKI) Issue(name string) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name, Organization: []string{"getpaid tpaytest"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.Root, &key.PublicKey, p.RootKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// PEM encodes a certificate.
func PEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// SignJWS returns the detached compact JWS Tpay puts in X-JWS-Signature:
// base64url({"alg":"RS256","x5u":x5u}) + ".." + base64url(RS256 signature
// over header + "." + base64url(body)).
func SignJWS(key *rsa.PrivateKey, x5u string, body []byte) (string, error) {
	h, err := json.Marshal(map[string]string{"alg": "RS256", "x5u": x5u})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	protected := enc.EncodeToString(h)
	digest := sha256.Sum256([]byte(protected + "." + enc.EncodeToString(body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("tpaynotify: sign: %w", err)
	}
	return protected + ".." + enc.EncodeToString(sig), nil
}
