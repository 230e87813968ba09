// Package transferuj is getpaid's backend for Tpay's legacy payment form,
// the Transferuj.pl flow django-getpaid shipped: a signed form the buyer's
// browser carries to https://secure.tpay.com, and a notification signed with
// an md5sum (and, as Tpay sends it today, a JWS).
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
//	require_jws    bool: refuse a notification without X-JWS-Signature (default off: the legacy
//	               notification is signed by its md5sum alone; a JWS one carries is checked either way)
//	jws_prefix     where notification certificates must come from, default https://secure.tpay.com
//	               (a simulator: transferujtest's URL)
//
// # Flow
//
// Prepare calls nothing: it builds the form (id, amount in major units "123.45",
// description, crc = getpaid's payment id, md5sum, the notification and
// return URLs from the backend's environment, the buyer's email, name and
// language). The transaction title (tr_id) arrives with the notification.
// ParseCallback checks the md5sum over id, tr_id, tr_amount (as sent and
// with two decimals), tr_crc and the security code, the merchant id, and,
// when the notification carries one (or require_jws is set), the detached
// JWS Tpay puts in X-JWS-Signature over the raw body (RS256, x5u under
// jws_prefix, a certificate signed by the root fetched from
// jws_prefix + /x509/tpay-jws-root.pem: internal/tpaynotify.JWSVerifier, as
// broker/tpay), and maps TRUE -> captured (partially when tr_paid is below
// tr_amount), FALSE -> failed (an advance when Tpay holds an over- or
// underpayment), CHARGEBACK -> refunded tr_paid (at most tr_amount); a
// tr_amount other than the
// payment's amount is an amount mismatch whatever the status. The
// acknowledgement is the body TRUE.
//
// # Limits
//
// The legacy md5sum covers neither tr_status nor tr_paid: a genuine
// notification edited there passes it, and only the JWS refuses it. The
// Transferuj notification django-getpaid took was signed by its md5sum
// alone, and by default this backend takes it so (with the JWS checked when
// one comes). Tpay signs every notification it POSTs with the JWS today
// (docs-api.tpay.com/webhooks) and its legacy library checks it on these
// basic notifications (tpay-php's JWSVerifiedPaymentNotification, in
// Tpay\OriginApi\Webhook): where the account's notifications carry it, set
// require_jws, so that one stripped of it is refused too ("getpaid serve"
// warns while it is off). ip_allowlist is an extra check where the legacy
// addresses still apply (Tpay no longer publishes a list).
// Without API keys there is no status query and no refund: a payment whose
// notifications were lost stays prepared, and refunds are made in Tpay's
// panel (their CHARGEBACK notifications are recorded).
package transferuj
