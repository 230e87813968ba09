// Package simkit is the machinery the broker simulators (payutest,
// p24test, tpaytest, transferujtest, dotpaytest) share, so that each of
// them holds only what its broker does differently: its wire format,
// signatures, statuses and answers.
//
//   - Host: where a simulator is served (its base URL, its own
//     httptest.Server after Start).
//   - Life: a simulator's background work (notification deliveries, a
//     refund settled later), the pauses it takes and the requests it holds
//     hanging; Quiet waits for it, Close ends it.
//   - Notifier: notifications posted in the background, again and again on
//     a schedule until the receiver acknowledges them, in order per key
//     (a transaction), with a log of every attempt in the simulator's own
//     record type.
//   - Faults: the failure switches, an outage of the whole API (5xx or
//     timeout) and the faults of money operations (a 5xx, a timeout before
//     the operation, a timeout after it).
//   - Buyer: the buyer's payment page (shown, an unknown transaction, the
//     buyer's choice answered) and the client side of it that a
//     simulator's Pay uses.
package simkit
