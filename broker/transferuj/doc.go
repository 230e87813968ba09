// Package transferuj is getpaid's backend for Tpay's legacy payment form,
// the Transferuj.pl flow django-getpaid shipped: a signed form the buyer's
// browser carries to https://secure.tpay.com, and an md5-signed notification.
// The current OpenAPI is broker/tpay; both receive the same basic payment
// notification (internal/tpaynotify).
//
// # Settings
//
//	merchant_id    the merchant id ("id"); required
//	security_code  the security code from the panel; required
//	md5_variant    "joined" (default): md5(id&amount&crc&code), the current tpay-php;
//	               "plain": md5(id‖kwota‖crc‖code), django-getpaid 1.x, with the old Polish field names
//	method         "post" (default): an auto-submitted form; "get": a link with the fields in its query
//	api_url        where the form goes, default https://secure.tpay.com (a simulator: transferujtest)
//	currencies     the account's one currency, default PLN (the form names none)
//	ip_allowlist   bool: accept notifications only from the legacy SDKs' addresses
//
// # Flow
//
// Prepare calls nothing: it builds the form (id, amount in major units "123.45",
// description, crc = getpaid's payment id, md5sum, the notification and
// return URLs from the backend's environment, the buyer's email, name and
// language). The transaction title (tr_id) arrives with the notification.
// ParseCallback checks the md5sum over id, tr_id, tr_amount (as sent and
// with two decimals), tr_crc and the security code, and the merchant id, and
// maps TRUE -> captured (partially when tr_paid is below tr_amount), FALSE ->
// failed (an advance when Tpay holds an over- or underpayment), CHARGEBACK ->
// refunded tr_paid. The acknowledgement is the body TRUE.
//
// # Limits
//
// The legacy md5sum covers neither tr_status nor tr_paid: a genuine
// notification replayed with those edited passes it. That is the protocol's
// weakness (the OpenAPI's JWS covers the whole body); ip_allowlist, where
// the legacy addresses still apply, is the defence. Without API keys there is
// no status query and no refund: a payment whose notifications were lost
// stays prepared, and refunds are made in Tpay's panel (their CHARGEBACK
// notifications are recorded).
package transferuj
