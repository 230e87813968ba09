package main

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

const payuConfig = `database: "memory:"
backends:
  payu:
    pos_id: "300746"
    second_key: b6ca15b0d1020e8094d9b5f8d163db54
    client_id: "300746"
    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d
    sandbox: true
`

// payuHeader signs body the way PayU does: hex(ALG(body ‖ second key)).
func payuHeader(alg string, body, key string) string {
	var sum string
	switch alg {
	case "MD5":
		s := md5.Sum([]byte(body + key))
		sum = hex.EncodeToString(s[:])
	default:
		s := sha256.Sum256([]byte(body + key))
		sum = hex.EncodeToString(s[:])
	}
	return fmt.Sprintf("OpenPayu-Signature: sender=checkout;signature=%s;algorithm=%s;content=DOCUMENT", sum, alg)
}

func TestCallbackCheckPayU(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, payuConfig)
	pathMD5 := writeConfig(t, payuConfig+"    allow_md5: true\n") // the old setting still loads
	pathStrict := writeConfig(t, payuConfig+"    strict_signatures: true\n")
	pathTimeouts := writeConfig(t, payuConfig+"    timeout: 10s\n    validity_time: 30m\n    pre_authorization: true\n")
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	full := `{"order":{"orderId":"WZGF5FFDRJ140731GUEST000P01","extOrderId":"pay_1","currencyCode":"PLN","totalAmount":"15000","status":"COMPLETED"},"localReceiptDateTime":"2026-11-25T10:00:00.000+01:00"}`
	short := `{"order":{"status":"COMPLETED"}}`
	tests := []struct {
		name, config, body, header string
		code                       int
		out                        string
	}{
		{"SHA-256 notification", path, full, payuHeader("SHA-256", full, key), 0, "valid"},
		{"X- header alone", path, full, "X-" + payuHeader("SHA-256", full, key), 0, "valid"},
		{"MD5 accepted by default, as PayU signs", path, full, payuHeader("MD5", full, key), 0, "valid"},
		{"MD5 with the old allow_md5", pathMD5, full, payuHeader("MD5", full, key), 0, "valid"},
		{"MD5 refused with strict_signatures", pathStrict, full, payuHeader("MD5", full, key), 1, "invalid: payu: callback signature invalid"},
		{"SHA-256 with strict_signatures", pathStrict, full, payuHeader("SHA-256", full, key), 0, "valid"},
		{"duration settings", pathTimeouts, full, payuHeader("MD5", full, key), 0, "valid"},
		{"wrong key", path, full, payuHeader("SHA-256", full, "another-key"), 1, "invalid: payu: callback signature invalid"},
		{"signature right, body incomplete", path, short, payuHeader("SHA-256", short, key), 1, "invalid: the signature is valid, but getpaid would refuse the body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runCLI(t, tt.body, "callback", "check", "--config", tt.config, "--backend", "payu", "--header", tt.header)
			if code != tt.code || !strings.HasPrefix(out, tt.out) {
				t.Fatalf("code %d out %q err %q; want %d %q", code, out, stderr, tt.code, tt.out)
			}
		})
	}
}

func TestCallbackCheckPrzelewy24(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  przelewy24:\n    merchant_id: 11111\n    crc: aef0aef0aef0aef0\n    api_key: k\n")
	// The sheet's derived notification vector.
	body := `{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"originAmount":1000,"currency":"PLN","orderId":300000001,"methodId":25,"statement":"p24-A1-B2-C3","sign":"ecffb29b03a17defd770ae4041cbb73f7841e907454fd610de39ba66a1d05e3f7f0f04729c08447b6153af6f46c81524"}`
	code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "przelewy24")
	if code != 0 || !strings.HasPrefix(out, "valid") || !strings.Contains(out, "test7") {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
	tampered := strings.Replace(body, `"amount":1000`, `"amount":9000`, 1)
	if code, out, _ := runCLI(t, tampered, "callback", "check", "--config", path, "--backend", "przelewy24"); code != 1 || !strings.HasPrefix(out, "invalid:") {
		t.Fatalf("tampered: code %d out %q", code, out)
	}
}

func TestConfigCommandBrokers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, want string }{
		{"payu", "https://pay.example.com/callback/payu"},
		{"przelewy24", "https://pay.example.com/callback/przelewy24"},
	} {
		code, out, stderr := runCLI(t, "", "config", tt.name, "--base-url", "https://pay.example.com")
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Fatalf("%s: code %d out %q err %q", tt.name, code, out, stderr)
		}
	}
}
