package tpaytest

import (
	"crypto/rsa"
	"crypto/x509"

	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// PKI is a simulated Tpay notification PKI: a root certificate and the
// signing certificate it issued, with their keys. Minting RSA keys takes a
// moment: tests running many simulators share one PKI (Config.PKI).
type PKI = tpaynotify.PKI

// NewPKI mints a root and a signing certificate (RSA 2048, valid from an hour
// ago for ten years).
func NewPKI() (*PKI, error) { return tpaynotify.NewPKI() }

// PEM encodes a certificate.
func PEM(c *x509.Certificate) []byte { return tpaynotify.PEM(c) }

// SignJWS returns the detached compact JWS Tpay puts in X-JWS-Signature:
// base64url({"alg":"RS256","x5u":x5u}) + ".." + base64url(RS256 signature
// over header + "." + base64url(body)).
func SignJWS(key *rsa.PrivateKey, x5u string, body []byte) (string, error) {
	return tpaynotify.SignJWS(key, x5u, body)
}
