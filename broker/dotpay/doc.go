// Package dotpay is getpaid's Dotpay backend: the payment form with chk, URLC
// notifications, and the seller API for refunds and polling.
//
// # Settings
//
// Backend kind "dotpay". Config's yaml names are fixed:
//
//	shop_id       the shop's id (the form's "id"), digits (required)
//	pin           the shop's PIN: signs chk and verifies URLC (required)
//	sandbox       Dotpay's test environment (ssl.dotpay.pl/test_payment/)
//	api_version   "next" (default) or "dev": how chk is computed
//	method        "GET" link (default) or "POST" auto-submitted form
//	ip_allowlist  accept URLC only from Dotpay's addresses; unset: on in production, off in the sandbox
//	api_url       override the host, e.g. the dotpaytest simulator; Dotpay's paths are kept (a
//	              simulator's URLC comes from its own address: set ip_allowlist false, or sandbox)
//	currencies    default PLN EUR USD GBP JPY CZK SEK UAH RON
//	api_username  the seller panel user for the seller API (refunds, polling); optional
//	api_password  its password; with api_username or not at all
//	timeout       bound of each seller API call, default 30s (a refund not answered in time is in doubt)
//
// # Flow
//
// Dotpay has no call that registers a payment. Prepare builds the payment
// form's parameters (id, amount, currency, description, control = getpaid's
// payment id, url = getpaid's return URL, urlc = getpaid's callback URL,
// type 0, api_version, lang, email, firstname, lastname) and signs them with
// chk; the buyer carries them to {host}/t2/ (sandbox /test_payment/) by GET
// or POST. Production's host is https://dproxy.przelewy24.pl, where Dotpay's
// PHP SDK 1.0.21 sends payments now that Przelewy24 runs Dotpay; the test
// environment stayed at https://ssl.dotpay.pl.
//
// Dotpay POSTs a URLC to urlc whenever an operation changes: form fields
// signed with SHA-256 over the PIN and the fields in a fixed order.
// ParseCallback accepts POST only (the fields urlencoded or
// multipart/form-data: Dotpay's manual names no encoding), verifies the signature (the PIN included:
// a peer integration once left it out, which lets anyone forge
// notifications) and the shop id, and maps the operation (see
// ParseNotification): a completed payment is captured with
// operation_original_amount in operation_original_currency, the shop's own
// amount even when the buyer paid in another currency, so the engine checks
// it against the payment; a refund by its amount, partial or whole; a
// completed complaint (the buyer's dispute, a chargeback) as a refund of its
// amount getpaid did not ask for, while a new, processing or rejected one
// changes nothing. A refund or complaint of another payment operation
// than the one that paid the payment (operation_related_number: a buyer
// who paid twice, whose second payment is not counted) is acknowledged and
// not counted either. EventID
// is "<operation_number>:<operation_status>": a repeated URLC applies once
// while an operation may still move from processing to completed. The
// acknowledgement is HTTP 200 with the body "OK" exactly; Dotpay sends the
// URLC again otherwise. A signed URLC of a payment, refund or complaint in a
// status Dotpay's SDK does not list is acknowledged too and changes nothing
// (getpaid.Observation.Unrecognized: the engine logs it at error level with
// the payment); refused, it would only come again until Dotpay gives up.
//
// With seller API credentials (HTTP Basic, the panel user), FetchStatus
// lists the operations whose control is the payment's id
// (GET operations/?control=) and reports the payment operation that got
// furthest, and Refund calls POST payments/{number}/refund/ with control =
// getpaid's operation id ("op_..."). The refund is then one operation under
// that control: Refund looks it up at once (Dotpay's answer names no
// refund), FetchOperation looks it up later, and its URLC carries the
// control back, which makes it the observation's OperationID (the payment is
// found by operation_related_number, or through the operation when the URLC
// names no related number: Dotpay's SDK treats the field as optional). The
// three report a refund Dotpay ended with the same event id,
// "<number>:<status>", and BrokerRef its number, so
// it counts once whichever comes first; one still being processed is refund
// started. Without credentials, refunds are refused
// (getpaid.ErrNotSupported), polls report nothing new, and payments move by
// URLC only (refunds made in Dotpay's panel still arrive by URLC, under the
// payment's control, and are recorded).
//
// Seller API errors are *getpaid.BrokerError: network failures, timeouts,
// 408, 429 and 5xx are retryable; a refund that may have reached Dotpay
// without an answer (a timeout, a dropped connection, a 5xx) is Happened —
// in doubt until FetchOperation tells — while a refusal (4xx, 408 and 429
// included) or a connection never made is not.
//
// # Signatures
//
//   - chk "next": HMAC-SHA256 keyed with the PIN over the parameters sorted
//     by name plus "paramsList" (the sorted names joined by ";"), as a JSON
//     object written like PHP's json_encode with JSON_UNESCAPED_SLASHES:
//     non-ASCII as lower-case \u escapes, "/" unescaped. Dotpay's SDK and
//     plugins (Magento, OpenCart) compute it so.
//   - chk "dev": SHA-256 over the PIN and the parameters in Dotpay's fixed
//     order (the manual's GenerateChk, surcharge_amount and surcharge —
//     twice — included, then what the newer plugins append; getpaid sends
//     only parameters every list orders alike). Chk takes a form without
//     api_version for "dev", as the simulator does: the manual's basic
//     link has none and the SDK defaults to "dev" (getpaid always sends
//     api_version).
//   - URLC signature: SHA-256 over the PIN, id, operation_number, ...,
//     geoip_country, and the newer payer_bank_account_name ...
//     operation_seller_code, absent fields empty (Dotpay's Magento plugin
//     and SDK). Values are the raw posted strings.
//
// All three are checked against the derived vectors of the shared fact sheet
// and, in tests, against the dotpaytest simulator's independent signer.
//
// # Amounts and currencies
//
// Dotpay writes every amount with a dot and two decimal places, whatever the
// currency ("123.00" is 123 JPY). FormatAmount and ParseAmount convert
// exactly at the edge; currencies with three minor digits are refused.
//
// # Assumed, not documented publicly
//
//   - type 0 shows the buyer a button back to url after paying.
//   - The seller API's refund answer body, and that the refund call takes a
//     control the refund operation keeps (listed under it, sent in its
//     URLC). getpaid finds the payment by operation_related_number either
//     way; without the echo a URLC still applies once, and the lookup by
//     control finishes the operation.
//   - Dotpay does not deduplicate refund requests by control: getpaid
//     never sends one operation twice.
//   - A refund URLC's amount may carry a minus sign; it is read as the
//     refund's size.
//   - A complaint's URLC (the SDK lists the operation type, not its fields)
//     carries its amount, the payment's number in operation_related_number
//     and, as a refund's, the payment's control.
//   - URLC retry schedule: nothing depends on it.
//
// The dotpaytest subpackage is a simulator of Dotpay's side for tests, the
// demo and "getpaid simulate dotpay".
package dotpay
