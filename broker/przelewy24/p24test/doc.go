// Package p24test is a simulated Przelewy24 (REST API v1) for tests and for
// running offline: an http.Handler that speaks the real wire protocol and
// signs for real with the configured CRC key.
//
// It serves, behind HTTP Basic auth posId:apiKey (401 JSON otherwise):
//
//	GET  /api/v1/testAccess
//	POST /api/v1/transaction/register              validates fields and sign, returns a token
//	PUT  /api/v1/transaction/verify                validates sign and amount, status 1 -> 2
//	GET  /api/v1/transaction/by/sessionId/{id}     status 0-3, 404 when unknown
//	POST /api/v1/transaction/refund                batch; 409 when a refund exceeds what is left
//
// and, without auth, the buyer's page GET /trnRequest/{token} with the
// outcomes pay, pay half, decline/cancel and abandon. Paying sends the signed
// notification to urlStatus in the background, retrying with doubling
// pauses until it is answered 200 (at most MaxAttempts), and returns the
// buyer to urlReturn; declining returns the buyer with no notification, as
// Przelewy24 does; abandoning does nothing. A refund is settled at once
// (completed, or rejected after SetRefundRejected) and its signed
// notification is delivered the same way.
//
// Controls for tests: Pay, Notification, SetFailure ("", "5xx", "timeout"),
// SetVerifyFailure, SetRefundRejected, Notifications, Status, Verified,
// OrderID. Start runs it on an httptest server; New + Handler + SetBaseURL
// mount it anywhere (getpaid simulate).
//
// Simplifications: orderIds are assigned at register (reported from the
// lookup only once paid); a repeated register of the same unpaid sessionId
// with the same amount returns the same token; a reused refundsUuid is refused
// with 409 (Przelewy24's real behaviour is not documented).
package p24test
