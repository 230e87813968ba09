package payu_test

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// The simulator's notification digest is made with the algorithm its header
// names, under either spelling PayU uses, so the backend accepts every one
// PayU may send and refuses SHA-1 for being SHA-1, not for a wrong digest.
func TestSimulatorSignsWithTheNamedAlgorithm(t *testing.T) {
	t.Parallel()
	body := []byte(`{"order":{"orderId":"X","status":"COMPLETED"}}`)
	for _, alg := range []string{"", "MD5", "sha-256", "SHA256", "SHA-384", "SHA384", "SHA-512", "SHA512", "SHA-1", "SHA1"} {
		t.Run("alg="+alg, func(t *testing.T) {
			t.Parallel()
			sim := payutest.New(payutest.Config{Algorithm: alg})
			defer sim.Close()
			key := sim.Config().SecondKey
			header := sim.SignedHeader(body).Get("OpenPayu-Signature")
			err := payu.VerifyNotification(body, header, key, payu.PolicyPayU)
			if !strings.Contains(strings.ReplaceAll(alg, "-", ""), "SHA1") {
				if err != nil {
					t.Fatalf("%s: %v", header, err)
				}
				return
			}
			if !errors.Is(err, getpaid.ErrSignatureInvalid) || !strings.Contains(err.Error(), "SHA-1") {
				t.Fatalf("%s: %v; want refused as SHA-1", header, err)
			}
			sum := sha1.Sum(append(append([]byte{}, body...), key...))
			if h, _ := payu.ParseSignatureHeader(header); h.Signature != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s: not the SHA-1 digest of the body and key", header)
			}
		})
	}
}

func TestSimulatorRefusesUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("payutest.New took SHA3-256, which PayU does not sign with")
		}
	}()
	payutest.New(payutest.Config{Algorithm: "SHA3-256"}).Close()
}
