// Package webhook sends getpaid's events to merchants' HTTP endpoints as
// Standard Webhooks (https://www.standardwebhooks.com), and verifies them on
// the merchant's side.
//
// Every request is a POST of a JSON body (Payload) with three headers:
//
//	webhook-id:        the event's id, the same on every retry (dedupe by it)
//	webhook-timestamp: when this attempt was signed, unix seconds
//	webhook-signature: "v1,<base64 HMAC-SHA256 of id.timestamp.body>", one per
//	                   secret, space-separated (two while a secret is rotated)
//
// Secrets are "whsec_" followed by base64 of at least 16 random bytes (the
// specification recommends 24 to 64; NewSecret makes one of 32). An
// Endpoint is a consumer for the engine (engine.Engine.AddConsumer): the
// engine's dispatcher retries it on its schedule, with dead letters an
// operator can replay, and the engine's Close closes the connections it
// keeps open (CloseIdleConnections). A failed answer is a *StatusError: the engine never
// retries a 410 Gone (the specification's "stop sending") and waits for a
// Retry-After; redirects are not followed. A failure of getpaid's own
// machine before anything was sent (out of file descriptors) does not count
// against the endpoint's retry schedule. Merchants who write Go check a request with Verify.
package webhook
