// Package brokertest is the conformance suite every broker backend and its
// simulator must pass, the way River's drivers share one test suite. A broker
// package adapts its simulator to Harness and calls Run from a test:
//
//	func TestConformance(t *testing.T) {
//		brokertest.Run(t, func(t *testing.T) *brokertest.Harness { ... })
//	}
//
// The suite runs getpaid for real (engine, HTTP layer, in-memory store) on an
// httptest server, so the simulator's notifications travel over HTTP exactly
// as the broker's would. It checks: pay, decline, abandon, duplicate
// notification, out-of-order notification, tampered signature, wrong amount,
// wrong currency, unknown payment, and the broker down (5xx and timeouts:
// nothing marked paid, the error classified as retryable; a broker whose
// Prepare calls no API, Harness.PreparesOffline, still starts payments and
// fails polls retryably). With Harness.RefundNotification it also checks
// refunds made at the broker and reported by notification: partial, repeated
// and whole.
package brokertest
