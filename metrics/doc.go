// Package metrics exposes getpaid's Prometheus metrics. It is fed through
// hooks, so the domain never imports Prometheus: the HTTP layer's callback
// hook (ObserveCallback), the engine's hooks (BrokerCall, Changed,
// SecondTransaction), a
// store's commit hook (ObserveCommit; SQLite's Options.OnCommit) and, at
// each scrape, a store's getpaid.BacklogReporter; and ObserveClockOffset
// (health.ClockWatch's Observe).
//
// The series:
//
//	getpaid_callbacks_total{backend,outcome}              counter: broker notifications by what became of them
//	                                                      (applied, duplicate, no_change, unknown,
//	                                                      second_transaction: a buyer paid twice, the second
//	                                                      not counted; or the refusal code: signature_invalid,
//	                                                      amount_mismatch, unavailable, ...)
//	getpaid_second_transactions_total{backend}             counter: transactions recorded as second transactions of a
//	                                                       payment (a buyer paid twice), once each, whatever showed
//	                                                       them: a notification, a poll, another's capture clearing
//	                                                       the advance one held
//	getpaid_payments_created_total{backend}                counter: payments created
//	getpaid_status_transitions_total{backend,to}           counter: status changes, by the status moved to
//	getpaid_broker_request_duration_seconds{backend,operation}  histogram: calls to brokers (prepare, refund, ...)
//	getpaid_broker_request_errors_total{backend,operation} counter: those calls that failed (not parse_callback:
//	                                                       a refused notification counts in getpaid_callbacks_total;
//	                                                       nor a lookup answered "not found", an answer)
//	getpaid_store_commit_duration_seconds                  histogram: store transactions (SQLite: one batch)
//	getpaid_store_commit_writes                            histogram: writes per transaction (SQLite's group commit)
//	getpaid_store_commit_failures_total                    counter: transactions rolled back, or whose flush to disk failed
//	getpaid_outbox_pending_deliveries                      gauge: event deliveries not yet acknowledged, nor dead or discarded
//	getpaid_outbox_oldest_pending_age_seconds              gauge: age of the oldest of them (0 when none)
//	getpaid_outbox_dead_deliveries                         gauge: deliveries whose retries ran out, until replayed or discarded
//	getpaid_operations_in_doubt                            gauge: money operations whose broker answer was lost (state unknown)
//	getpaid_operations_flagged                             gauge: money operations flagged for an operator's decision
//	getpaid_clock_offset_seconds                           gauge: this instance's clock less the database server's
//	                                                       (PostgreSQL only: health.ClockWatch's measurement)
//
// The three store series are fed by SQLite's commit hook only: on
// PostgreSQL they stay at zero.
//
// Backend labels are limited to the configured backends; callbacks to other
// names are counted under backend="other", so made-up URLs cannot grow the
// series without bound. The accepted outcomes of each configured backend,
// and its second transactions, are exported at 0 from the start: a series first seen at 1 has no rise
// for increase() or rate() to see.
package metrics
