package payu

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Published vectors, brokers.md §1.10 (openpayu_php tests): hash("OpenPayUData" ‖ "SignatureKey").
func TestSignPublishedVectors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, alg, want string }{
		{"MD5", "MD5", "8375034eb737d520c829fad4026a38aa"},
		{"SHA-1", "SHA-1", "52bb16149d1a5ccc8ac05f8e435c30d82efd5364"},
		{"SHA1 alias", "SHA1", "52bb16149d1a5ccc8ac05f8e435c30d82efd5364"},
		{"SHA-256", "SHA-256", "8b2fd55b48f150347df56ce18d787335f32ced1d67f214016476f7c0a8f09981"},
		{"SHA256 alias", "SHA256", "8b2fd55b48f150347df56ce18d787335f32ced1d67f214016476f7c0a8f09981"},
		{"SHA alias", "SHA", "8b2fd55b48f150347df56ce18d787335f32ced1d67f214016476f7c0a8f09981"},
		{"SHA-384", "SHA-384", "219a7029f09ae02ee406a623becca9691557cbf503fe58485cb5a08bf1a2a72f745fbc3e8fb1fa80f824b4f890ad3b35"},
		{"SHA-512", "SHA-512", "4f658844a6bc4ed3c4320ecae0dc5e414c4fa2ce07563914cd5069f277ddead37be5ca6dc35099ff9d8c184bb561bb740f626fdb5162d8f7160dba8ec4ad1d5d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sign(tc.alg, []byte("OpenPayUData"), "SignatureKey")
			if err != nil || got != tc.want {
				t.Fatalf("Sign = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := Sign("CRC32", nil, "k"); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}

// Published form-sign vectors, brokers.md §1.10.
func TestFormSignaturePublishedVectors(t *testing.T) {
	t.Parallel()
	fields := map[string]string{"test": "OpenPayUData"}
	tests := []struct{ name, alg, want string }{
		{"SHA-256", "SHA-256", "sender=MerchantPosId;algorithm=SHA-256;signature=e4c8315c9ab2e097ef1221f3fbd1e761405d961760e538fb2e0055d3d90b5e35"},
		{"SHA-384", "SHA-384", "sender=MerchantPosId;algorithm=SHA-384;signature=ef1f0258e004b4ade604115289a374a0cb54899ff48fc65ca6a23d5dfc6332dfd5a3a63de88b65743cff5ecf8db4fda2"},
		{"SHA-512", "SHA-512", "sender=MerchantPosId;algorithm=SHA-512;signature=3ebb7cd2b9f60dacda25835f323fb15adda3eb729da71fd61c9bfd41b97c6eeea47949cee0aaf5fa1a4d8fa9c065369aaeffd34afc4f376bd11dd8bfdd3c564d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := FormSignature(fields, "SignatureKey", "MerchantPosId", tc.alg)
			if err != nil || got != tc.want {
				t.Fatalf("FormSignature = %q, %v;\nwant %q", got, err, tc.want)
			}
		})
	}
}

func TestFormSignatureEncoding(t *testing.T) {
	t.Parallel()
	// Sorted names, raw names, PHP-urlencoded values: the hashed string is
	// "a=x+y%7E%2F%C5%BC&buyer.email=a%40b.pl&products[0].name=A-_.&KEY".
	fields := map[string]string{"products[0].name": "A-_.", "a": "x y~/ż", "buyer.email": "a@b.pl"}
	want, _ := Sign("SHA-256", []byte("a=x+y%7E%2F%C5%BC&buyer.email=a%40b.pl&products[0].name=A-_.&KEY"), "")
	got, err := FormSignature(fields, "KEY", "1", "SHA-256")
	if err != nil || got != "sender=1;algorithm=SHA-256;signature="+want {
		t.Fatalf("got %q, %v; want signature %s", got, err, want)
	}
	// PayU's SDK signs forms with SHA-256, SHA-384 or SHA-512 only.
	for _, alg := range []string{"ROT13", "MD5", "md5", "SHA-1", "SHA1"} {
		if got, err := FormSignature(fields, "KEY", "1", alg); err == nil {
			t.Errorf("%s accepted: %q", alg, got)
		}
	}
}

func TestVerifyNotification(t *testing.T) {
	t.Parallel()
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	body := []byte(`{"order":{"status":"COMPLETED"}}`)
	hdr := func(alg, k string, b []byte) string {
		s, err := Sign(alg, b, k)
		if err != nil {
			t.Fatal(err)
		}
		return "sender=checkout;signature=" + s + ";algorithm=" + alg + ";content=DOCUMENT"
	}
	tests := []struct {
		name   string
		body   []byte
		header string
		policy Policy
		ok     bool
	}{
		{"SHA-256 valid", body, hdr("SHA-256", key, body), PolicyPayU, true},
		{"SHA-384 valid", body, hdr("SHA-384", key, body), PolicyPayU, true},
		{"SHA-512 valid", body, hdr("SHA-512", key, body), PolicyPayU, true},
		{"SHA alias valid", body, hdr("SHA", key, body), PolicyPayU, true},
		{"upper-case hex and spaces", body, " sender=checkout ; signature=" + strings.ToUpper(mustSign(t, "SHA-256", body, key)) + " ; algorithm=SHA-256", PolicyPayU, true},
		{"MD5 accepted: PayU signs with it", body, hdr("MD5", key, body), PolicyPayU, true},
		{"MD5 refused when strict", body, hdr("MD5", key, body), PolicyStrict, false},
		{"SHA-256 accepted when strict", body, hdr("SHA-256", key, body), PolicyStrict, true},
		{"SHA-512 accepted when strict", body, hdr("SHA-512", key, body), PolicyStrict, true},
		{"SHA-1 refused", body, hdr("SHA-1", key, body), PolicyPayU, false},
		{"MD5 with another key", body, hdr("MD5", "other", body), PolicyPayU, false},
		{"unknown algorithm", body, "signature=" + mustSign(t, "SHA-256", body, key) + ";algorithm=SHA3-256", PolicyPayU, false},
		{"missing algorithm", body, "signature=" + mustSign(t, "SHA-256", body, key), PolicyPayU, false},
		{"missing signature", body, "sender=checkout;algorithm=SHA-256", PolicyPayU, false},
		{"empty header", body, "", PolicyPayU, false},
		{"not hex", body, "signature=zz;algorithm=SHA-256", PolicyPayU, false},
		{"wrong key", body, hdr("SHA-256", "other", body), PolicyPayU, false},
		{"tampered body", []byte(`{"order":{"status":"COMPLETEd"}}`), hdr("SHA-256", key, body), PolicyPayU, false},
		{"empty body", nil, hdr("SHA-256", key, nil), PolicyPayU, false},
		{"truncated signature", body, hdr("SHA-256", key, body)[:40] + ";algorithm=SHA-256", PolicyPayU, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyNotification(tc.body, tc.header, key, tc.policy)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("err = %v, want ErrSignatureInvalid", err)
			}
		})
	}
}

func mustSign(t *testing.T, alg string, body []byte, key string) string {
	t.Helper()
	s, err := Sign(alg, body, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The sheet's derived notification-header vector (brokers.md §1.10 [D]),
// digests computed independently with Python's hashlib.
func TestNotificationHeaderVector(t *testing.T) {
	t.Parallel()
	body := []byte(`{"order":{"status":"COMPLETED"}}`)
	tests := []struct{ name, alg, sig string }{
		{"MD5", "MD5", "8f6f9b173e20ec86837deb784c20fe55"},
		{"SHA-256", "SHA-256", "51e42899ea34ea63f04d52f2417a196987664fd3e0f3ad4f09509c57deee9193"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := "sender=checkout;signature=" + tc.sig + ";algorithm=" + tc.alg + ";content=DOCUMENT"
			if err := VerifyNotification(body, h, testKey, PolicyPayU); err != nil {
				t.Fatal(err)
			}
		})
	}
}
