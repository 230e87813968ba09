// Package payutest simulates PayU's REST API v2.1 for tests, the demo and
// "getpaid simulate payu": an http.Handler (or, with Start, an
// httptest.Server) that behaves like PayU and signs notifications for real.
//
// It serves:
//
//	POST   /pl/standard/user/oauth/authorize   client_credentials → bearer token, expires_in 43199
//	POST   /api/v2_1/orders                    validates (text fields to the OpenAPI's maxLength, in
//	                                           characters: description 4000, products[].name 255, ...),
//	                                           extOrderId unique per POS, 302 + JSON;
//	                                           payMethods authorizationType PRE_AUTHORIZATION holds the payment
//	GET    /api/v2_1/orders/{id}               {"orders":[...],"status":...,"properties":[PAYMENT_ID]}
//	DELETE /api/v2_1/orders/{id}               cancel (NEW, PENDING, WAITING_FOR_CONFIRMATION)
//	PUT    /api/v2_1/orders/{id}/status        {"orderStatus":"COMPLETED"} captures a hold (deprecated by PayU)
//	POST   /api/v2_1/orders/{id}/captures      no body: the whole hold; {"amount","currencyCode"}: part
//	                                           of it, the rest released, totalAmount then the captured amount
//	POST   /api/v2_1/orders/{id}/refunds       idempotent on extRefundId + identical data; no overdraw
//	GET    /api/v2_1/orders/{id}/refunds       {"refunds":[...]}, or a bare array with RefundListArray
//	GET    /api/v2_1/orders/{id}/refunds/{refundId}  the refund; 404 DATA_NOT_FOUND when unknown
//	GET    /pay/?orderId=..&token=..           the buyer's page: pay, authorise only, decline, go back
//	POST   /pay/                               the buyer's choice; then 303 to continueUrl
//	                                           (with error=501 after a decline)
//
// The /api/v2_1/ calls take the bearer token, or HTTP Basic auth with the
// POS id and its second key, as PayU does.
//
// Every status change is notified asynchronously to notifyUrl with both
// OpenPayu-Signature and X-OpenPayU-Signature (algorithm from Config, MD5 by
// default as PayU signs, or SHA-256/384/512), numbers as strings, in order per
// order, retried until the receiver answers 200: with doubling backoff at
// most NotifyAttempts times, or with Config.RetryUnit on PayU's published
// schedule (RetrySchedule: 20 attempts, the last 72 hours after the first,
// RetryUnit standing for its minute; "getpaid simulate payu" and the demo). Refunds stay PENDING until SettleRefund, or
// finish by themselves AutoSettleRefunds after they were made.
//
// Test controls: Pay (act as the buyer: "paid", "pre_auth", "declined",
// "abandoned", "pending"), Settle, Expire, SettleRefund, Notification and
// RefundNotification (signed bodies for duplicate, reordering, tampering and
// wrong-amount tests), SignedHeader, SetFailure ("", "5xx", "timeout": every
// API call), SetOperationFault ("", "timeout-after", "timeout-before",
// "5xx": money operations only), RevokeTokens, Notifications (delivery log),
// Order, OrderByExtID, Refunds, TokenRequests, Quiet.
//
// Defaults are PayU's public sandbox POS 300746 and its keys.
package payutest
