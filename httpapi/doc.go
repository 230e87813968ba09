// Package httpapi is getpaid's net/http layer: the JSON API, broker callbacks,
// buyer returns, the payment-method form for library mode, and the pages of
// brokers that serve their own (the dummy paywall). It decides the HTTP
// status codes of all of them, in one table (errors.go); the operator
// console (package admin) and the probes (package health) answer their own
// pages.
//
// Routes, relative to wherever the Handler is mounted:
//
//	GET  /api/v1/backends?currency=PLN      backends accepting a currency
//	POST /api/v1/payments                   create and start a payment; a retry with the same
//	                                        Idempotency-Key header gets the payment the first made (Bearer key)
//	GET  /api/v1/payments                   list payments, newest first, filtered (Bearer key)
//	GET  /api/v1/payments/{id}              a payment with its history and operations (Bearer key)
//	POST /api/v1/payments/{id}/{action}     start, poll, capture, release, refund, cancel,
//	                                        accept_advance, reject_advance (Bearer key)
//	GET  /api/v1/payments/{id}/operations   a payment's money operations (Bearer key)
//	GET  /api/v1/operations[/{id}]          money operations; POST .../{id}/resolve settles one in doubt
//	                                        (with "seen", its updated_at as read, only if unchanged since: else 409),
//	                                        POST .../{id}/check has it checked with its broker now (Bearer key;
//	                                        501 not_implemented when the Service is no getpaid.OperationChecker)
//	GET  /api/v1/events[/{id}]              events with their deliveries; POST .../{id}/replay,
//	                                        /api/v1/events/replay_dead, /api/v1/events/retry_waiting, /api/v1/events/discard,
//	                                        /api/v1/events/backfill (Bearer key; backfill: 501 when the Service is no
//	                                        getpaid.EventBackfiller)
//	GET  /api/v1/events/paused              the consumers this process sends nothing to for now (Bearer key;
//	                                        501 when the Service is no getpaid.PauseReporter)
//	POST /callback/{backend}                broker notifications
//	GET  /success/{id}, /failure/{id}       buyer returns: never change status; 303 to the payment's return_url, else a status page
//	GET  /pay/{order}                       payment-method form (library mode, needs an OrderSource)
//	POST /pay/{order}                       start paying the order with the chosen backend (403 when a
//	                                        browser says another origin's page sent it)
//	/broker/{name}/...                      pages served by brokers that implement getpaid.PageServer
//
// The public routes stay cheap for anyone (see Limits): bodies are capped per
// route (callbacks per backend, from getpaid.CallbackSizer), read within a
// byte budget and a bound on concurrent large reads, and within a deadline;
// addresses that keep failing API authentication or sending refused
// callbacks get 429 for the rest of a window, and are logged once per
// window; a broker's own notification addresses
// (getpaid.NotificationSourcer) are logged but never refused so. JSON
// bodies are read strictly (415, 400 for duplicate or case-folded keys,
// 422 with the field for invalid UTF-8). Client addresses
// and the scheme come from trusted proxies only (ClientIP, Scheme). Every
// answer carries security headers; pages carry a Content-Security-Policy
// allowing only what they need.
package httpapi
