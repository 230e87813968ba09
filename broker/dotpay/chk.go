package dotpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf16"
)

// API versions of the payment form: how chk is computed.
const (
	APINext = "next" // chk = HMAC-SHA256(PIN, sorted JSON with paramsList)
	APIDev  = "dev"  // chk = SHA-256(PIN ‖ fixed list of parameters)
)

// ChkNext is the chk of api_version "next": the parameters (every one sent,
// chk excluded) sorted by name, a "paramsList" of the sorted names joined
// with ";" added, sorted again, encoded as a JSON object the way PHP's
// json_encode(..., JSON_UNESCAPED_SLASHES) does it, and signed with
// HMAC-SHA256 keyed with the PIN, in lower-case hex.
func ChkNext(pin string, params map[string]string) string {
	m := hmac.New(sha256.New, []byte(pin))
	m.Write(nextJSON(params))
	return hex.EncodeToString(m.Sum(nil))
}

// nextJSON is the document ChkNext signs.
func nextJSON(params map[string]string) []byte {
	keys := make([]string, 0, len(params)+1)
	for k := range params {
		if k != "chk" && k != "paramsList" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	list := strings.Join(keys, ";")
	keys = append(keys, "paramsList")
	sort.Strings(keys)
	b := make([]byte, 0, 512)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPHPString(b, k)
		b = append(b, ':')
		v := params[k]
		if k == "paramsList" {
			v = list
		}
		b = appendPHPString(b, v)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendPHPString appends s as PHP's json_encode writes a string with
// JSON_UNESCAPED_SLASHES: quote and backslash escaped, the short escapes for
// \b \f \n \r \t, other control characters and every non-ASCII character as
// \u escapes in lower-case hex (UTF-16 surrogate pairs above U+FFFF), "/"
// and DEL as they are. Invalid UTF-8 (which PHP refuses to encode) is
// written as U+FFFD; Prepare never sends it.
func appendPHPString(b []byte, s string) []byte {
	b = append(b, '"')
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = u4(b, r)
		case r < 0x80:
			b = append(b, byte(r))
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			b = u4(u4(b, hi), lo)
		default:
			b = u4(b, r)
		}
	}
	return append(b, '"')
}

// devFields is the order in which api_version "dev" concatenates the form's
// parameters after the PIN; a parameter not sent counts as empty. It is the
// order of the manual's GenerateChk ("Full Example"), surcharge written
// twice as it is there, followed by the parameters Dotpay's newer plugins
// append (customer, gp_token, auto_reject_date, ap_token); getpaid sends only
// api_version, lang, id, amount, currency, description, control, url, type,
// urlc, firstname, lastname and email, whose order every list agrees on.
var devFields = []string{
	"api_version", "charset", "lang", "id", "pid", "amount", "currency", "description", "control",
	"channel", "credit_card_brand", "ch_lock", "channel_groups", "onlinetransfer", "url", "type",
	"buttontext", "urlc", "firstname", "lastname", "email", "street", "street_n1", "street_n2",
	"state", "addr3", "city", "postcode", "phone", "country", "code", "p_info", "p_email", "n_email",
	"expiration_date", "deladdr", "recipient_account_number", "recipient_company",
	"recipient_first_name", "recipient_last_name", "recipient_address_street",
	"recipient_address_building", "recipient_address_apartment", "recipient_address_postcode",
	"recipient_address_city", "application", "application_version", "warranty", "bylaw",
	"personal_data", "credit_card_number", "credit_card_expiration_date_year",
	"credit_card_expiration_date_month", "credit_card_security_code", "credit_card_store",
	"credit_card_store_security_code", "credit_card_customer_id", "credit_card_id", "blik_code",
	"credit_card_registration", "surcharge_amount", "surcharge", "surcharge", "ignore_last_payment_channel", "vco_call_id",
	"vco_update_order_info", "vco_subtotal", "vco_shipping_handling", "vco_tax", "vco_discount",
	"vco_gift_wrap", "vco_misc", "vco_promo_code", "credit_card_security_code_required",
	"credit_card_operation_type", "credit_card_avs", "credit_card_threeds", "customer", "gp_token",
	"auto_reject_date", "ap_token",
}

// ChkDev is the chk of api_version "dev": lower-case hex SHA-256 of the PIN
// followed by the parameters in Dotpay's fixed order.
func ChkDev(pin string, params map[string]string) string {
	h := sha256.New()
	h.Write([]byte(pin))
	for _, k := range devFields {
		h.Write([]byte(params[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Chk is the chk of params for the api_version they name: "dev", or none
// (the legacy form: Dotpay's manual shows the basic payment link without
// api_version, and its PHP SDK's default api version is "dev"; the
// dotpaytest simulator checks such a form so too), else "next". getpaid
// always sends api_version.
func Chk(pin string, params map[string]string) string {
	if v := params["api_version"]; v == APIDev || v == "" {
		return ChkDev(pin, params)
	}
	return ChkNext(pin, params)
}
