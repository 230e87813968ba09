// Package storetest is the conformance suite every getpaid.Store must pass.
//
// A store's own tests call Run with a constructor that returns a new, empty
// database for each subtest, as a DB whose Open returns a new handle on it
// each time (River's riverdrivertest is the model):
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.DB {
//			s := memory.New()
//			t.Cleanup(func() { s.Close() })
//			return storetest.SharedDB{Store: s}
//		})
//	}
//
// A SQL store's DB opens a Store of its own on the same database each time
// (a new pool, as another process would), and implements MigratingDB so the
// migration cases run too.
//
// The suite checks the contract documented on getpaid.Store: exact round
// trips of every Payment field, not-found and conflict errors, the
// one-live-payment-per-order policy, UpdatePayment's transaction semantics
// (event-key dedupe, history rows, outbox events, versions), concurrency
// (no lost updates, at-most-once event application), the outbox, and the
// payment listing (every filter, alone and combined, created_after
// inclusive and created_before exclusive, bounds centuries away, read a
// page of two at a time: exactly the matching payments, newest first; and
// two to five of order, create key, status, backend and currency at once,
// within creation bounds or not, a page of one and of three at a time:
// each matching payment once, newest first, no empty page after a
// cursor); then the same rules across two or three handles on one
// database (one event applied once, no lost updates, one live payment per
// order, stale claims, a write on one handle read on another at once);
// and, for a MigratingDB, migrations (up on an empty database, up again a
// no-op, a schema behind refused without migrating, a newer schema always
// refused, concurrent migrating opens).
//
// Beyond the interface comments, the suite pins these details, which every
// store so far follows: the payment CreatePayment hands back
// (UpdateResult.Payment) has Version 1 and CreatedAt and UpdatedAt at the
// creation time (a store with a coarser clock, such as PostgreSQL's
// microseconds, must hand back the truncated value so it reads back equal);
// a history row's At and a status event's At are the payment's new
// UpdatedAt, and the created event's At is its CreatedAt; the payment handed
// back by UpdatePayment equals what Payment then reads; times compare with
// time.Equal and a nil Redirect.Fields equals an empty one; Events lists
// events newest first, the reverse of the order they were written in.
//
// The optional capabilities getpaid.PaymentTotaler, getpaid.BacklogReporter
// and getpaid.Readier are checked when the store implements them (the
// "Stats" group; skipped otherwise): totals for a filter equal the sums of
// what Payments lists for it, for every field of the filter and for
// several at once (within bounds that cut days or do not), and follow
// status changes; the backlog counts pending deliveries and the oldest one's
// creation; an open, migrated store is ready. So is getpaid.PaymentViewer
// (the "View" group): a view equals the separate reads (payment, history
// oldest first, every operation newest first, none of another payment's),
// is read from one snapshot while the payment changes, sees another
// handle's writes at once, and a missing payment is ErrNotFound.
package storetest
