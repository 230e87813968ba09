package dotpay

import (
	"strings"
	"testing"
)

// vectorURLC is brokers.md §4.6's derived URLC (django-payments' fixture).
func vectorURLC() map[string]string {
	return map[string]string{
		"id": "123", "operation_number": "MI-5", "operation_type": "payment", "operation_status": "completed",
		"operation_amount": "212.35", "operation_currency": "PLN", "operation_original_amount": "58.07",
		"operation_original_currency": "USD", "operation_datetime": "2018-02-28 12:00:00", "control": "1",
		"description": "Order #1", "email": "user@example.org", "p_info": "John Doe (seller@example.com)",
		"p_email": "seller@example.com", "channel": "1",
	}
}

const vectorSignature = "2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221"

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	if got := Signature("123", vectorURLC()); got != vectorSignature {
		t.Fatalf("signature %s, want %s", got, vectorSignature)
	}
	if !signatureValid(strings.ToUpper(vectorSignature), vectorSignature) {
		t.Error("upper-case hex refused")
	}
}

// The PIN leads the signed string: a signature without it (the bug of a
// peer integration) never verifies, and neither does one with the PIN
// elsewhere.
func TestSignatureNeedsThePIN(t *testing.T) {
	t.Parallel()
	withoutPIN := Signature("", vectorURLC())
	if withoutPIN == vectorSignature || signatureValid(withoutPIN, Signature("123", vectorURLC())) {
		t.Fatal("a signature without the PIN verifies")
	}
	f := vectorURLC()
	f["signature"] = withoutPIN
	b, _ := New(Config{ShopID: "123", PIN: "123"})
	if err := b.verify(f); err == nil {
		t.Fatal("a URLC signed without the PIN accepted")
	}
}

// Every signed field counts, in its place; unsigned fields do not.
func TestSignatureCoversEachField(t *testing.T) {
	t.Parallel()
	base := vectorURLC()
	for _, k := range SignedFields() {
		f := vectorURLC()
		f[k] += "7"
		if Signature("123", f) == Signature("123", base) {
			t.Errorf("%s not covered", k)
		}
	}
	f := vectorURLC()
	f["not_signed"] = "x"
	if Signature("123", f) != vectorSignature {
		t.Error("an unsigned field changed the signature")
	}
	if fs := SignedFields(); len(fs) != 37 || fs[0] != "id" || fs[36] != "operation_seller_code" {
		t.Errorf("signed fields %v", fs)
	}
}

// The list of signed fields was an exported variable: any package of the
// program could change what every Dotpay backend verifies (design.md: no
// mutable package globals). What SignedFields returns is a copy.
func TestSignedFieldsIsACopy(t *testing.T) {
	t.Parallel()
	fs := SignedFields()
	fs[0], fs[1] = "not_signed", "not_signed"
	if got := Signature("123", vectorURLC()); got != vectorSignature {
		t.Errorf("changing SignedFields' answer changed the signature: %s", got)
	}
	if SignedFields()[0] != "id" {
		t.Error("changing SignedFields' answer changed the next answer")
	}
}
