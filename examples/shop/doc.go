// Package shop is the demo shop: a tiny store that takes payments through
// getpaid exactly as the README's seven integration steps say. `getpaid demo`
// runs it; it is also the end-to-end test of library mode.
//
// Its orders live in a table of the same SQLite file as getpaid's payments.
package shop
