package dotpaytest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestChkDevManualOrder: the simulator checks a legacy (api_version dev)
// chk in the order of the manual's GenerateChk, where surcharge_amount and
// surcharge (twice) follow credit_card_registration.
func TestChkDevManualOrder(t *testing.T) {
	t.Parallel()
	params := map[string]string{
		"api_version": "dev", "lang": "pl", "id": "123456", "amount": "123.00", "currency": "PLN",
		"description": "Test", "control": "ORDER-1", "url": "https://example.com/return", "type": "4",
		"urlc": "https://example.com/urlc", "credit_card_registration": "R", "surcharge_amount": "1.50",
		"surcharge": "S", "ignore_last_payment_channel": "I",
	}
	sum := sha256.Sum256([]byte("pin123abc" + "dev" + "pl" + "123456" + "123.00" + "PLN" + "Test" + "ORDER-1" +
		"https://example.com/return" + "4" + "https://example.com/urlc" + "R" + "1.50" + "S" + "S" + "I"))
	if got, want := chkDev("pin123abc", params), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("chkDev %s, the manual's order %s", got, want)
	}
}
