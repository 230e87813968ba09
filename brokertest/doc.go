// Package brokertest is the conformance suite every broker backend and its
// simulator must pass, the way River's drivers share one test suite. A broker
// package adapts its simulator to Harness and calls Run from a test:
//
//	func TestConformance(t *testing.T) {
//		brokertest.Run(t, func(t *testing.T) *brokertest.Harness { ... })
//	}
//
// The suite runs getpaid for real (engine, HTTP layer, memory and SQLite
// stores) on an httptest server, so the simulator's notifications travel over
// HTTP exactly as the broker's would. It checks: pay, decline, abandon,
// duplicate notification (applied once, and read with an event id, the same
// each time: Observation.EventID is how the engine recognises a repeat),
// out-of-order notification, tampered notifications
// (a changed digit, a truncated body, reordered fields — refused, or for a
// broker that signs fields rather than bytes accepted only as the same
// fact —, another notification's signature, and with ResignOtherKey a
// signature made with another key), wrong amount (refused, or recorded as
// an advance with WrongAmountAdvance), wrong currency (refused for the
// currency only; for a broker whose notifications name no currency,
// Harness.NotificationHasNoCurrency, the single account currency instead),
// unknown payment, bodies that are no notification at all (refused as a bad
// signature or malformed, by ParseCallback and a CallbackVerifier alike,
// the request left as it came; a CallbackVerifier also passes the genuine
// notifications and fails the tampered ones), distinct event ids for
// distinct facts, a status poll before and after paying (nothing new, not
// an error, before: expiry polls first), Provision again for another base
// URL or backend name refused (getpaid.ErrInvalidRequest) and for the same
// taken (these four, the bodies that are no notification, the event ids,
// the polls and Provision, are of the broker whatever the store, and run
// with the memory store only), and the broker down (5xx and timeouts: nothing marked
// paid, the error classified as retryable; a broker whose Prepare calls no
// API, Harness.PreparesOffline, still starts payments and fails polls
// retryably; a broker inside getpaid's process, Harness.InProcess — the
// dummy —, has no API to take down and skips these cases).
//
// Money operations, each where the backend has it: full and partial refunds
// (the simulator settles them by itself); capture, partial capture and
// release of a pre-authorisation (PreAuthOutcome; with CaptureKeepsRest a
// partial capture leaves the rest held until it is released); and refunds in doubt with
// a simulator that implements OperationFaulter: whatever the fault, the
// broker's error says the refund may have happened, and FetchOperation tells
// whether it did, also after a refund of the same amount was made.
//
// Optional Harness fields enable the cases some brokers bring (extra.go): a
// partial payment topped up, refunds made at the broker (PanelRefund: the
// simulator refunds and notifies on its own, the suite delivers the same
// notification again; partial, repeated and whole), broker-specific
// tamperings and the exact acknowledgement body.
package brokertest
