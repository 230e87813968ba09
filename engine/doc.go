// Package engine is getpaid's payment service: it creates payments, starts them
// at their broker, applies broker callbacks and status queries, captures,
// releases and refunds, and delivers outbox events to listeners. It works over
// any getpaid.Store and a getpaid.Registry; it knows no concrete broker or
// database.
//
// Every change goes through Store.UpdatePayment with getpaid.Apply, so a
// broker event is applied at most once (deduplicated by its event id in the
// same transaction) and a late or repeated notification changes nothing.
package engine
