// Package tpaytest is a simulator of Tpay's OpenAPI for tests, `getpaid
// simulate tpay` and the demo.
//
// It grants OAuth tokens (POST /oauth/auth, form or JSON, expires_in 7200),
// registers transactions (POST /transactions, amounts as JSON numbers in
// major units), shows the buyer a payment page at the transactionPaymentUrl,
// answers status queries, cancels pending transactions, refunds paid ones in
// full or in part and lists their refunds. It sends basic payment
// notifications form-encoded, with the md5sum and a detached RS256 JWS in
// X-JWS-Signature whose x5u lies under the simulator's own URL: it mints a
// root and a signing certificate (crypto/x509) and serves them at
// /x509/tpay-jws-root.pem and /x509/notifications-jws.pem, so a backend
// configured with jws_prefix = the simulator's URL checks the whole chain
// offline. Notifications are sent again until the shop answers TRUE.
//
// Refunds are made at once (status correct, a CHARGEBACK notification
// follows), as Tpay answers them; nothing the simulator accepts is left
// pending. Controls for tests: SetFailure ("", "5xx", "timeout": the whole
// API), SetOperationFault ("timeout-after", "timeout-before", "5xx": refunds
// and cancel only, so the refund list still tells what happened),
// Notification and SignWith (signed notifications), Chargeback (a refund
// made in the panel), ServeCert and SetSigner (certificates), RevokeTokens.
package tpaytest
