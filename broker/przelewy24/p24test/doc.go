// Package p24test is a simulated Przelewy24 (REST API v1) for tests and for
// running offline: an http.Handler that speaks the real wire protocol and
// signs for real with the configured CRC key.
//
// It serves, behind HTTP Basic auth posId:apiKey (401 JSON otherwise):
//
//	GET  /api/v1/testAccess
//	POST /api/v1/transaction/register              validates every field to the specification's limits
//	                                               (and accepts every optional one), checks the sign,
//	                                               returns a token
//	PUT  /api/v1/transaction/verify                validates sign and amount, status 1 -> 2
//	GET  /api/v1/transaction/by/sessionId/{id}     status 0-3, 404 when unknown
//	POST /api/v1/transaction/refund                batch; 409 when a refund exceeds what is left;
//	                                               400 "Request already exists" for a repeated
//	                                               requestId or refundsUuid
//	GET  /api/v1/refund/by/orderId/{orderId}       the transaction's refunds (status 1 completed,
//	                                               2 pending, 4 rejected), 404 when none
//
// and, without auth, the buyer's page GET /trnRequest/{token} with the
// outcomes pay, pay half, decline/cancel and abandon. Paying sends the signed
// notification to urlStatus in the background, then again on Przelewy24's
// schedule (pauses of 3, 5, 15, 30, 60, 150 and 450 minutes, scaled by
// RetryUnit) until the transaction is verified, whatever the answers; it
// returns the buyer to urlReturn. Declining returns the buyer with no
// notification, as Przelewy24 does; abandoning does nothing. A refund stays
// pending RefundDelay (0: none), then completes, or is rejected after
// SetRefundRejected, and its signed notification is delivered until answered
// 200.
//
// Controls for tests: Pay, Notification, Resign, SetFailure ("", "5xx",
// "timeout": every API call), SetOperationFault ("", "timeout-after",
// "timeout-before", "5xx": refunds), SetVerifyFault (the same modes for
// transaction/verify: "timeout-after" verifies and loses the answer),
// SetVerifyFailure, SetRefundRejected,
// Notifications, Refunds, Status, Verified, OrderID, Quiet. Start runs it on
// an httptest server; New + Handler + SetBaseURL mount it anywhere (getpaid
// simulate).
//
// Simplifications: orderIds are assigned at register (reported from the
// lookup only once paid); a repeated register of the same unpaid sessionId
// with the same amount returns the same token; refunds are never "awaiting
// Przelewy24's acceptance" (status 3).
package p24test
