// Package dummy is getpaid's built-in broker for development and demos. It
// behaves like a real asynchronous broker: Prepare sends the buyer to its own
// paywall pages (served by getpaid, see Pages), where they choose an outcome
// (paid, failed, partially paid, pre-authorised); the paywall then sends a
// signed callback to getpaid in the background, retried after each of
// Config.RetryDelays (1, 2, 5, 10 and 30 s) until it is acknowledged, then
// given up (a poll still finds the choice), and redirects the buyer to the success or failure URL. It also
// answers status queries (pull mode), captures, releases and refunds.
//
// Never register it where real buyers pay: its paywall lets anyone mark
// their payment paid without paying (the engine serving it warns when it
// starts, in library mode as under "getpaid serve").
//
// Settings: secret (the HMAC key, required), currencies (default PLN, EUR,
// USD, GBP, JPY), method (GET, the default, or POST: how the buyer is sent to
// the paywall), no_callbacks (the paywall sends none: only polling finds the
// buyer's choice) and fault (every capture, release, cancel and refund
// misbehaves: timeout-after, timeout-before or 5xx; see Config.Fault).
//
// Callback format, fixed so it can be scripted (the captures, releases and
// refunds that follow a scripted callback work: a dummy with no record of a
// payment, in this or another getpaid process on the same database, takes
// getpaid's record of the money as its own):
//
//	POST {base}/callback/dummy
//	Dummy-Signature: <lowercase hex HMAC-SHA256 of the raw body with the secret>
//
//	{"payment_id": "...", "event_id": "...", "status": "paid|failed|partially_paid|pre_auth",
//	 "amount": "12.34", "currency": "PLN"}
//
// paid, pre_auth and failed name the payment's whole amount (the paywall
// sends it); partially_paid what was paid so far. Another amount or currency
// is refused (422 amount_mismatch).
package dummy
