// Package payutest simulates PayU's REST API v2.1 for tests, the demo and
// "getpaid simulate payu": an http.Handler (or, with Start, an
// httptest.Server) that behaves like PayU and signs notifications for real.
//
// It serves:
//
//	POST   /pl/standard/user/oauth/authorize   client_credentials → bearer token, expires_in 43199
//	POST   /api/v2_1/orders                    validates, extOrderId unique per POS, 302 + JSON
//	GET    /api/v2_1/orders/{id}               {"orders":[...],"status":...,"properties":[PAYMENT_ID]}
//	DELETE /api/v2_1/orders/{id}               cancel (NEW, PENDING, WAITING_FOR_CONFIRMATION)
//	PUT    /api/v2_1/orders/{id}/status        {"orderStatus":"COMPLETED"} captures a hold
//	POST   /api/v2_1/orders/{id}/captures      captures a hold (whole amount only)
//	POST   /api/v2_1/orders/{id}/refunds       idempotent on extRefundId + identical data; no overdraw
//	GET    /api/v2_1/orders/{id}/refunds       list
//	GET    /pay/?orderId=..&token=..           the buyer's page: pay, authorise only, decline, go back
//	POST   /pay/                               the buyer's choice; then 303 to continueUrl
//	                                           (with error=501 after a decline)
//
// Every status change is notified asynchronously to notifyUrl with both
// OpenPayu-Signature and X-OpenPayU-Signature (algorithm from Config,
// SHA-256 by default, MD5 like PayU's sandbox), numbers as strings, in order
// per order, retried with doubling backoff until the receiver answers 200,
// at most NotifyAttempts times.
//
// Test controls: Pay (act as the buyer: "paid", "pre_auth", "declined",
// "abandoned", "pending"), Settle, Expire, SettleRefund, Notification and RefundNotification
// (signed bodies for duplicate, reordering, tampering and wrong-amount tests),
// SetFailure ("", "5xx", "timeout"), RevokeTokens, Notifications (delivery
// log), Order, OrderByExtID, Refunds, TokenRequests.
//
// Defaults are PayU's public sandbox POS 300746 and its keys.
package payutest
