package dotpaytest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file signs as Dotpay does. It is written independently of the
// backend's signer (encoding/json plus an ASCII pass here, a hand-written
// encoder there) so that each checks the other.

// phpJSONString renders s as PHP's json_encode with JSON_UNESCAPED_SLASHES:
// encoding/json without HTML escaping, then every non-ASCII character as a
// lower-case \u escape (UTF-16 surrogates above U+FFFF).
func phpJSONString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	var b bytes.Buffer
	for len(out) > 0 {
		r, size := utf8.DecodeRune(out)
		out = out[size:]
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		units := []uint16{uint16(r)}
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			units = []uint16{uint16(hi), uint16(lo)}
		}
		for _, u := range units {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	// encoding/json writes \u2028 and \u2029 already; PHP writes them the same.
	return b.Bytes()
}

// chkNext signs params (chk excluded) for api_version "next".
func chkNext(pin string, params map[string]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "chk" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	withList := map[string]string{"paramsList": strings.Join(names, ";")}
	for _, k := range names {
		withList[k] = params[k]
	}
	keys := append(append([]string(nil), names...), "paramsList")
	sort.Strings(keys)
	var doc bytes.Buffer
	doc.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.Write(phpJSONString(k))
		doc.WriteByte(':')
		doc.Write(phpJSONString(withList[k]))
	}
	doc.WriteByte('}')
	mac := hmac.New(sha256.New, []byte(pin))
	mac.Write(doc.Bytes())
	return hex.EncodeToString(mac.Sum(nil))
}

// chkDevOrder is the order of api_version "dev": the manual's GenerateChk
// (surcharge twice, as there), then what Dotpay's newer plugins append.
var chkDevOrder = strings.Fields(`api_version charset lang id pid amount currency description control
	channel credit_card_brand ch_lock channel_groups onlinetransfer url type buttontext urlc firstname
	lastname email street street_n1 street_n2 state addr3 city postcode phone country code p_info
	p_email n_email expiration_date deladdr recipient_account_number recipient_company
	recipient_first_name recipient_last_name recipient_address_street recipient_address_building
	recipient_address_apartment recipient_address_postcode recipient_address_city application
	application_version warranty bylaw personal_data credit_card_number
	credit_card_expiration_date_year credit_card_expiration_date_month credit_card_security_code
	credit_card_store credit_card_store_security_code credit_card_customer_id credit_card_id
	blik_code credit_card_registration surcharge_amount surcharge surcharge
	ignore_last_payment_channel vco_call_id
	vco_update_order_info vco_subtotal vco_shipping_handling vco_tax vco_discount vco_gift_wrap
	vco_misc vco_promo_code credit_card_security_code_required credit_card_operation_type
	credit_card_avs credit_card_threeds customer gp_token auto_reject_date ap_token`)

// chkDev signs params for api_version "dev".
func chkDev(pin string, params map[string]string) string {
	var b strings.Builder
	b.WriteString(pin)
	for _, k := range chkDevOrder {
		b.WriteString(params[k])
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// urlcOrder is the order of the URLC signature (Dotpay's plugins and SDK).
var urlcOrder = strings.Fields(`id operation_number operation_type operation_status operation_amount
	operation_currency operation_withdrawal_amount operation_commission_amount is_completed
	operation_original_amount operation_original_currency operation_datetime
	operation_related_number control description email p_info p_email
	credit_card_issuer_identification_number credit_card_masked_number credit_card_expiration_year
	credit_card_expiration_month credit_card_brand_codename credit_card_brand_code
	credit_card_unique_identifier credit_card_id channel channel_country geoip_country
	payer_bank_account_name payer_bank_account payer_transfer_title blik_voucher_pin
	blik_voucher_amount blik_voucher_amount_used channel_reference_id operation_seller_code`)

// urlcSignature signs a URLC's fields with the PIN.
func urlcSignature(pin string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString(pin)
	for _, k := range urlcOrder {
		b.WriteString(fields[k])
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
