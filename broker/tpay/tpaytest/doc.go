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
package tpaytest
