// Package admin is getpaid's operator console: a small server-rendered web
// application (html/template, embedded stylesheet, no JavaScript, no build
// step) that lists payments with filters and totals, shows one payment with
// its amounts, history, operations, events and deliveries, takes actions on
// it (refund, capture, release, cancel, poll, check an operation in doubt
// with its broker now or resolve it, accept or reject an advance) after a
// confirmation step, delivers one of
// its events again to a consumer, lists what needs an operator across all
// payments (operations in doubt or flagged, advances waiting for a
// decision, dead deliveries, paused webhook endpoints), and shows the
// configured backends with their panel settings and recent callback
// outcomes.
//
// It depends only on getpaid.Service (and, when the service has them, a
// PaymentTotals method for the totals, getpaid.OperationChecker for the
// "Check with the broker now" button, which is not shown without it: the
// reconciler still checks operations on its schedule, and
// getpaid.PauseReporter for the paused endpoints on the attention page
// and on a payment's pending deliveries to them, and
// getpaid.SecondTransactionLister for the broker's other transactions of a
// payment a buyer paid twice, on its page). Every action goes through the
// service exactly as the JSON API's do, with an idempotency key per
// confirmation form; a refused action shows the engine's reason.
//
// Security: the console has its own users (bcrypt password hashes of cost
// at most MaxHashCost; see HashPassword), sessions in HttpOnly, SameSite=Lax cookies (Secure when the
// request came over https; with Config.RequireHTTPS nothing is served over
// plain http), a CSRF token checked on every POST, logins
// slowed down after five failures per user or address (IPv6: per /64, and
// however many are sent at once), one password compared at a time (tries
// from many addresses at once wait their turn on one core), and an audit log
// line for every login, logout and action (who, when, what, from which
// address). Sessions live in the process's memory: a restart logs everyone
// out, and several instances behind a load balancer need sticky sessions.
//
// Mount it under a prefix with http.StripPrefix and tell it the prefix
// (Config.Prefix), so its links and cookies carry it:
//
//	c, err := admin.New(admin.Config{Service: eng, Users: users, Prefix: "/admin"})
//	mux.Handle("/admin/", http.StripPrefix("/admin", c))
package admin
