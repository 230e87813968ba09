// Package payu is getpaid's backend for PayU (GPO Europe) REST API v2.1, the
// redirect flow: create an order, send the buyer to PayU's redirectUri,
// receive signed notifications, poll, capture (in full or in part), release,
// cancel, refund, and look money operations up.
//
// # Settings
//
// Backend kind "payu". Config's yaml names are fixed:
//
//	pos_id             merchantPosId of the point of sale (required)
//	second_key         the POS "second key (MD5)"; verifies notifications (required)
//	client_id          OAuth client id, usually equal to pos_id (required)
//	client_secret      OAuth client secret (required)
//	sandbox            use https://secure.snd.payu.com instead of https://secure.payu.com
//	strict_signatures  refuse MD5-signed notifications (off: PayU signs with MD5)
//	allow_md5          deprecated: allow_md5: false is strict_signatures: true
//	timeout            bound of every API call, e.g. "10s" (default 30s)
//	validity_time      time the buyer has to pay, e.g. "30m" (validityTime, whole seconds; PayU's default 24h)
//	pre_authorization  ask for a card pre-authorisation with every order
//	ip_allowlist       accept notifications only from PayU's published addresses (off)
//	api_url            override the host, e.g. to point at the payutest simulator
//	                   (a trailing /api/v2_1, as PayU documents its base, is dropped)
//	currencies         override the accepted currencies (default below)
//
// Default currencies: BGN CHF CZK DKK EUR GBP HUF NOK PLN RON SEK UAH USD
// (getpaid-payu's list without HRK, gone since Croatia adopted the euro, and
// RUB, no longer offered). Only currencies with two minor digits are
// accepted; New refuses others such as JPY or KWD.
//
// # Sources
//
// PayU's OpenAPI document "PayU GPO Europe REST API" 2.1.0 (mirrored in
// api-evangelist/payu, openapi/payu-europe-rest-api.yaml) for endpoints,
// fields, limits and the refund list; developers.payu.com (notifications,
// refunds, capture and cancel, payment lifecycle) for the sample
// notifications in testdata and the retry schedule; the official
// openpayu_php SDK (lib/OpenPayU/Util.php) for signature algorithms and the
// form signature's allowed algorithms; its tests for the signature vectors.
//
// # Quirks
//
//   - Amounts are strings of integer hundredths of the major unit. HUF is
//     "×100" too ("1000" is 10 HUF); getpaid's ISO table already gives HUF
//     two minor digits, so getpaid's minor units go on the wire unchanged.
//     FormatAmount and ParseAmount convert exactly, at the edge only.
//   - Create order answers HTTP 302 with a JSON body. The redirect is never
//     followed (whatever HTTPClient's CheckRedirect says); the body's orderId
//     and redirectUri are used, after statusCode SUCCESS or any
//     WARNING_CONTINUE_* (REDIRECT, 3DS, CVV: the buyer continues at
//     redirectUri). extOrderId is getpaid's payment id, so PayU
//     refuses a second order for one payment (ERROR_ORDER_NOT_UNIQUE): a
//     stored payment whose create answer was lost cannot be started again,
//     and the error, not retryable, says to create a new payment.
//     customerIp is the buyer's IP, written as the OpenAPI documents it
//     (IPv4 dotted, an IPv4-mapped IPv6 address as IPv4, IPv6 as eight
//     groups of four hex digits); "127.0.0.1" is sent only when the caller
//     has none, because PayU requires the field. continueUrl is getpaid's
//     success URL: PayU has one return URL per order and no failure URL.
//   - Field limits (OpenAPI): the description (up to 4000 characters) is cut
//     to 4000 and reused, cut to 255, as products[0].name; buyer names are
//     cut to 100; cuts fall on character boundaries, never inside a UTF-8
//     sequence. A buyer email over 255 characters is refused before anything
//     is sent (a *getpaid.FieldError on buyer.email): cutting would send
//     another address.
//   - pre_authorization sends payMethods.payMethod {type PBL, value "c" (the
//     card form), authorizationType PRE_AUTHORIZATION}: authorizationType is
//     the OpenAPI's, for card payments only; the buyer is sent straight to
//     the card form and the order waits in WAITING_FOR_CONFIRMATION.
//   - OAuth client_credentials tokens are cached until 60 s before expiry
//     (a day at most, whatever expires_in says), fetched once for all concurrent callers, and dropped and fetched again
//     once when an API call answers 401.
//   - Notifications carry OpenPayu-Signature (and X-OpenPayU-Signature):
//     "sender=..;signature=<hex>;algorithm=<ALG>;content=DOCUMENT", where the
//     signature is hex(ALG(raw body ‖ second_key)), compared in constant
//     time. PayU signs with MD5 (its documented sample, its sandbox and its
//     SDK's verifier), keyed with the POS's second key: MD5, SHA-256 (also
//     spelled SHA256 or SHA), SHA-384 and SHA-512 are accepted by default;
//     strict_signatures accepts SHA-256/384/512 only (StrictSignatures
//     reports it, so the wiring can warn that PayU's default is refused);
//     SHA-1 and unknown algorithms never. The acknowledgement is HTTP 200
//     (with getpaid's JSON status body, which PayU does not read); serve
//     warns at start when strict_signatures is on. PayU resends a
//     notification not received after 1, 2, 5, 10 and 30 minutes, then 1, 2,
//     3, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60 and 72 hours (its payment
//     lifecycle page).
//   - PayU sends no event id: EventID is "<orderId>:<status>" for order
//     notifications, "refund:<refundId>:<status>" for refunds (whether told
//     by a notification, a refund answer or the refund list, so each refund
//     state applies once) and "poll:<orderId>:<status>" for FetchStatus.
//   - Status mapping: NEW → nothing new; PENDING → pending; WAITING_FOR_
//     CONFIRMATION → locked (the whole totalAmount, pre_auth); COMPLETED →
//     captured totalAmount with the rest released (not "Full": see partial
//     captures); CANCELED and the legacy REJECTED → failed. Before
//     COMPLETED the totalAmount is the order's as created, so it travels as
//     Observation.PaymentAmount and an order of another amount is refused;
//     a COMPLETED order of another amount is refused too
//     (Observation.HoldFirst) unless the payment holds or has captured
//     money (a partial capture).
//     PayU does not
//     say whether a CANCELED order ever held funds, so a hold PayU lets
//     expire becomes failed; a hold released through Release (which returns
//     "released") is cancelled, whether the CANCELED notification comes
//     after Release's answer (a no-op) or overtakes it (the engine takes a
//     failure while its release or cancellation is under way as that
//     operation done).
//     Refund FINALIZED → refunded, CANCELED → refund failed, PENDING →
//     nothing (refund_started where getpaid asked for it). A notification
//     in an order or refund status PayU does not document is nothing,
//     Observation.Unrecognized: acknowledged and logged for an operator
//     (refused, PayU would send it again for 72 hours); in an API answer
//     it is refused. A refund notification naming no amount or currency
//     (seen for refunds made in PayU's panel) takes them from the order's
//     refund list, the one network call ParseCallback makes.
//   - Capture is POST .../orders/{id}/captures (the status update PUT
//     .../status is deprecated in the OpenAPI, and used only for a whole
//     hold when the captures endpoint answers 404 or 405): no body for the
//     whole hold, {"amount","currencyCode"} (amount a string of minor units)
//     for part of it, after which PayU releases the rest. SUCCESS is reported at once as
//     captured: the cumulative amount, ReleaseRest, the operation id. Not
//     verified anywhere PayU publishes: what totalAmount a COMPLETED order
//     carries after a partial capture: the captured amount (as the simulator
//     does) or the ordered one. Either way it counts nothing twice: once a
//     partial capture is recorded with the rest released, a COMPLETED of
//     more is the order's amount restated, not money (Apply, HoldFirst).
//   - Release and Cancel are DELETE .../orders/{id}.
//   - Refund posts to .../refunds with extRefundId = getpaid's operation id,
//     the amount always, and the description "Refund <operation id>": the
//     body depends on the operation only, so a retry sends identical data
//     and PayU answers with the refund it already made (the OpenAPI's
//     idempotency rule) instead of a second one. Reason is not sent.
//   - FetchOperation: refunds from GET .../orders/{id}/refunds, read as a bare
//     array (the OpenAPI) or {"refunds": [...]} (the documentation), matched
//     by extRefundId; captures, releases and cancellations from the order's
//     status. A refund PayU does not list, a capture of an order that is not
//     COMPLETED, a release of one that is not CANCELED, PayU's own 404
//     (its status object): an error wrapping getpaid.ErrNotFound (it did
//     not happen). A 404 whose body is not PayU's (a proxy's page) is a
//     retryable error: the operation stays in doubt.
//   - Failures are classified once: for a mutating call (POST, PUT, DELETE)
//     a timeout, a dropped connection or a 5xx after the request was sent is
//     Retryable and Happened (PayU may have acted: look the operation up); a
//     connection never made, 408, 429 are retryable refusals; other 4xx and
//     ERROR_*/BUSINESS_ERROR status codes are refusals (nothing happened) and
//     carry PayU's statusCode and statusDesc. An unreadable answer to an
//     accepted refund is Happened.
//   - AllowCallbackFrom checks PayU's published notification addresses
//     (185.68.12.10-12 and .26-28 in production, 185.68.14.* in the
//     sandbox) when ip_allowlist is set; the caller resolves the IP through
//     trusted proxies. It is a second control beside the signature.
//   - FormSignature signs the legacy hosted-form integration's fields, with
//     SHA-256, SHA-384 or SHA-512 only (as the SDK); MD5 and SHA-1 are refused.
//
// The payutest subpackage is a simulator of PayU's side for tests, the demo
// and "getpaid simulate payu".
package payu
