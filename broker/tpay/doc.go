// Package tpay is getpaid's Tpay backend for Tpay's current OpenAPI
// (api.tpay.com). The legacy Transferuj.pl form flow is broker/transferuj;
// both receive the same basic payment notification (internal/tpaynotify).
//
// # Settings
//
//	client_id, client_secret  Open API key and secret (Merchant Panel > Integration > API); required
//	merchant_id               the merchant id notifications carry as "id"; required
//	security_code             the notification security code (md5sum); required
//	sandbox                   bool: https://openapi.sandbox.tpay.com and https://secure.sandbox.tpay.com
//	jws_prefix                URL prefix notification certificates must lie under;
//	                          default https://secure.tpay.com (sandbox: https://secure.sandbox.tpay.com)
//	api_url                   overrides the API host (a simulator, see tpaytest)
//	currencies                default PLN; Tpay opens one account per currency; two minor digits only
//	timeout                   HTTP timeout of every call to Tpay, default 30s
//
// # Flow
//
// Prepare gets an OAuth token (POST /oauth/auth, form-encoded; cached, one
// fetch for any number of concurrent callers, replaced five minutes before
// it expires, and once more on a 401), registers the transaction (POST
// /transactions: amount a JSON number in major units written exactly from
// minor units, hiddenDescription getpaid's payment id, the notification and
// return URLs from the backend's environment) and sends the buyer with a GET
// to transactionPaymentUrl. The transactionId is the payment's ExternalID.
//
// Tpay POSTs a form-encoded notification with an md5sum and a detached JWS
// in X-JWS-Signature. ParseCallback checks the md5sum, the merchant id, then
// the JWS: alg RS256, x5u under jws_prefix (same scheme and host, a path
// below it), the certificate signed by Tpay's root fetched from
// jws_prefix + /x509/tpay-jws-root.pem (Tpay's documented check: the root's
// key verifies the certificate's signature), and the RS256 signature over
// base64url(header) + "." + base64url(raw body). Certificates are cached for
// two hours; a verification failure with certificates older than a minute
// fetches them again once (Tpay rotating its certificate). Certificates that
// cannot be fetched are a retryable broker error: Tpay sends the
// notification again; but an x5u that never served a certificate and
// answers 4xx, or something that is not one, is a bad signature (the
// sender's choice, counted against its address as any forgery is). The
// acknowledgement is the body TRUE.
//
// Mapping (internal/tpaynotify): TRUE or PAID -> captured (tr_paid below
// tr_amount: partially_paid, cumulative); FALSE -> failed, or, when Tpay
// holds money for an over- or underpayment it did not accept (tr_error
// overpay/surcharge, tr_paid > 0), an advance for an operator, never paid;
// CHARGEBACK -> refunded tr_paid (partially when less than was captured; at
// most tr_amount, as an accepted overpayment returned whole refunds the
// payment in full); another status -> nothing, acknowledged and logged for
// an operator (getpaid.Observation.Unrecognized).
// Whatever the status, a tr_amount other than the payment's amount is an
// amount mismatch (getpaid.Observation.PaymentAmount), and so is the amount
// of the transaction GET /transactions/{id} answers.
// Event ids are "title:STATUS:amount", so repeats are duplicates and a
// top-up of an underpayment is not.
//
// FetchStatus reads GET /transactions/{id} (an answer naming another
// transactionId, or another payment in hiddenDescription, or reporting the
// transaction paid without its amount, is a retryable error that changes
// nothing); Cancel posts
// /transactions/{id}/cancel (pending transactions only); Refund posts
// /transactions/{id}/refunds ({"amount": n}, or an empty body for the whole
// payment) and, as Tpay takes the money at once, reports the refund done
// with the event id its CHARGEBACK notification has, getpaid's operation id
// and Tpay's refundId; FetchOperation finds a refund in
// GET /transactions/{id}/refunds by that refundId, and one whose answer was
// lost by the money (the refunds Tpay lists against what the payment has
// recorded and asked for), only where that leaves one reading. The list is
// read from "refunds" (or "refundsList"; null is empty): an answer with
// neither is not Tpay's, a retryable error, never "no such refund". Tpay
// documents no list of refund statuses: "correct" and the like are done,
// "pending" and the like started, "canceled", "rejected", "error" and the
// like failed; a word outside those is neither (a refund answered with it
// is in doubt, Happened; a lookup that finds it answers an error, so the
// operation stays in doubt for the reconciler and then an operator). An
// answer naming no refund but the transaction (its title) is taken for the
// transaction after the refund: its amount is not compared, and its status
// "correct" or "refund" means done, anything else in doubt.
//
// Errors are *getpaid.BrokerError: network failures, timeouts, 408, 429 and
// 5xx are retryable; a POST (create, cancel, refund) that got no usable
// answer — a timeout, a dropped connection, a 5xx, an unreadable 2xx — is
// Happened (Tpay may have acted: the operation is in doubt until looked up),
// while a refusal (4xx, 429 included) or a connection never made is not.
//
// # Facts and their sources
//
// Verified in Tpay's documentation or official SDKs (brokers.md §3,
// docs-api.tpay.com, tpay-openapi-php, tpay-php): hosts; OAuth endpoint,
// form encoding and expires_in 7200; POST /transactions fields and the
// transactionPaymentUrl answer; the cancel and refund endpoints (empty body
// refunds everything and marks the transaction "refund"); notification
// fields, md5sum and the TRUE acknowledgement; the JWS scheme, RS256, x5u
// prefixes and the root certificate path; tr_error overpay/surcharge and the
// PAID status of two-step acceptance (Tpay support pages).
//
// Assumed, where no verified source says (brokers.md §10): the transaction
// status enum beyond pending/correct/refund/cancel (paid, error); the
// refund answer and list fields (result, status "correct", refundId); that a
// CHARGEBACK notification reports the amount returned in tr_paid and follows
// every refund, including those made through the API; tr_currency in
// notifications of non-PLN accounts. The simulator implements exactly these
// assumptions.
//
// # Limits
//
// Tpay has no field for getpaid's refund id (the refund body is the amount
// alone): a refund is not deduplicated at Tpay (the engine records the
// refund before asking and never sends it twice), its CHARGEBACK
// notification names no operation, and a refund in doubt is matched by the
// money; when another refund of the payment is in flight or Tpay lists two
// of the amount, an operator decides. A CHARGEBACK notification cannot tell
// the second refund of an amount from the first: the broker is a
// getpaid.RefundCounter, and the engine records the notification as the
// first refund of its amount Tpay lists as done (RefundEventIDs, numbered
// by their order as Refund and FetchOperation number them) that is not yet
// recorded, so two refunds of one amount made in Tpay's panel count twice,
// and a repeat once.
// A CHARGEBACK returning money that was never captured (an over- or
// underpayment Tpay held) is refused and logged for an operator.
package tpay
