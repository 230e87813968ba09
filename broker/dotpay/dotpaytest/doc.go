// Package dotpaytest is a simulated Dotpay for tests and for running
// offline: an http.Handler that speaks Dotpay's wire protocol and signs for
// real with the configured PIN. Its URLC comes from its own address, not
// Dotpay's: a backend pointed at it (dotpay.Config.APIURL) needs
// IPAllowlist false, or Sandbox, or it refuses every URLC.
//
// It serves the payment form at /t2/ (and /test_payment/, the test
// environment's path), by GET link or POSTed form, checking the parameters
// and chk in both variants (api_version "next": HMAC-SHA256 over the sorted
// JSON with paramsList; "dev": SHA-256 over the fixed concatenation, also
// for a form without api_version, as dotpay.Chk computes it); a form
// Dotpay refuses is answered 400 with Dotpay's error code (HASH_NOT_EQUAL_CHK,
// BAD_DATA_FORMAT, UNKNOWN_CURRENCY, ...). An accepted form leads the buyer
// to a payment page with the outcomes Dotpay has: pay (completed), pay by a
// transfer booked later (processing, ended by Settle), reject, and abandon
// (nothing happens). Each outcome but abandon creates an operation
// ("M1000-0001") and POSTs its URLC to urlc, form-encoded and signed with
// SHA-256 over the PIN and the fields in Dotpay's order, retried with
// doubling pauses until the answer is HTTP 200 with the body "OK" exactly
// (at most MaxAttempts); the buyer then goes back to url.
//
// The seller API, behind HTTP Basic auth with the panel user, is served at
// /s2/login/api/v1/ and /test_seller/api/v1/:
//
//	GET  accounts/                                         the shop (as Dotpay's PHP SDK checks the user)
//	GET  accounts/{id}/                                    the shop, config.pin its PIN
//	GET  operations/?control=...&page_size=...&page=...   paginated, newest first
//	GET  operations/{number}/
//	POST payments/{number}/refund/ {amount, description, control}   amount "4.50" or 4.5
//
// A refund (by the API, or Refund as from the panel) is a refund operation
// (related to the payment, control as given: getpaid sends its operation id,
// the panel the payment's control) that ends completed, or rejected after
// SetRefundRejected, reported by its own URLC: at once, or, for refunds
// asked through the API, Config.RefundDelay later (new until then).
// A complaint (Complaint, then SetComplaintStatus: the buyer's dispute of
// a completed payment, a chargeback) is a complaint operation related to
// the payment under its control; each status it reaches sends its URLC, and
// completed counts against what is left to refund.
// Config.SettleAfter completes payments left processing on its own, so a
// standalone simulator leaves nothing it accepted unfinished.
//
// Controls for tests: Pay, Settle, Refund, Notification,
// RefundNotification, Complaint, SetComplaintStatus, SetFailure ("", "5xx", "timeout": everything),
// SetOperationFault ("timeout-after", "timeout-before", "5xx": the refund
// endpoint only, so the operations list still tells what happened),
// SetRefundRejected, Notifications, Operations, Quiet. Config.Exchange books payments in
// another currency (operation_amount differs from
// operation_original_amount); Config.Cards makes them card payments whose
// URLCs carry the credit_card_* fields. Start runs it on an httptest
// server; New + Handler + SetBaseURL mount it anywhere (getpaid simulate).
//
// Simplifications and assumptions (Dotpay does not document them): the
// buyer is returned to url without added parameters; the operation number
// sequence, the 1.9% commission, channel 73 (card payments 248) and the
// country "PL" are made up; a refund ends at once (or RefundDelay later),
// never waiting on a bank; the refund answer is
// {"detail":"ok"}; a refund's URLC carries the refund's control; a refund
// in progress sends no URLC until it ends; a complaint's URLC carries the
// payment's control and number as a refund's does, and its amount; a form
// without api_version is checked as "dev".
package dotpaytest
