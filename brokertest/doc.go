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
// nothing marked paid, the error classified as retryable). Optional Harness
// fields enable the cases some brokers bring (extra.go): a partial payment
// topped up, a refund made at the broker, broker-specific tamperings and the
// exact acknowledgement body.
package brokertest
