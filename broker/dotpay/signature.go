package dotpay

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
)

// SignedFields returns the URLC fields the signature covers, in Dotpay's
// order, after the PIN; a field the notification does not carry counts as
// empty. The list is the one in Dotpay's own plugins and SDK (see doc.go).
// It is a copy: changing it changes no signature.
func SignedFields() []string { return slices.Clone(signedFields) }

var signedFields = []string{
	"id", "operation_number", "operation_type", "operation_status", "operation_amount",
	"operation_currency", "operation_withdrawal_amount", "operation_commission_amount",
	"is_completed", "operation_original_amount", "operation_original_currency",
	"operation_datetime", "operation_related_number", "control", "description", "email",
	"p_info", "p_email", "credit_card_issuer_identification_number", "credit_card_masked_number",
	"credit_card_expiration_year", "credit_card_expiration_month", "credit_card_brand_codename",
	"credit_card_brand_code", "credit_card_unique_identifier", "credit_card_id", "channel",
	"channel_country", "geoip_country", "payer_bank_account_name", "payer_bank_account",
	"payer_transfer_title", "blik_voucher_pin", "blik_voucher_amount", "blik_voucher_amount_used",
	"channel_reference_id", "operation_seller_code",
}

// Signature is a URLC's signature: lower-case hex SHA-256 of the PIN
// followed by the values of SignedFields() in order. The PIN comes first and
// is never left out (a peer integration forgot it, which lets anyone forge
// notifications).
func Signature(pin string, fields map[string]string) string {
	h := sha256.New()
	h.Write([]byte(pin))
	for _, k := range signedFields {
		h.Write([]byte(fields[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// signatureValid compares a received signature with the expected one in
// constant time (hex case ignored).
func signatureValid(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}
