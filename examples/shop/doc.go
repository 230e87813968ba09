// Package shop is the demo shop: a tiny store that takes payments through
// getpaid exactly as the README's seven integration steps say. `getpaid demo`
// runs it; it is also the end-to-end test of library mode.
//
// Its orders live in a table of the same SQLite file as getpaid's payments.
// Its order page shows what the shop knows and refreshes only while
// something is about to change: money a broker reported at once (before the
// listener marks the order paid), what is left to pay after a partial
// payment, capture and release for held funds, accept or reject for an
// advance, and, after a bounded wait, that a broker which sends nothing on
// a decline has not confirmed the payment.
//
// Copying it out of this module: everything it does with getpaid uses
// public packages only; its pages borrow two internal ones for looks and
// headers (internal/ui: the stylesheet and the status labels; internal/edge:
// the pages' security headers), which a shop elsewhere cannot import and
// replaces with its own templates' functions and headers.
package shop
