// Package postgres is a getpaid.Store (and getpaid.StaleLister and
// getpaid.PaymentViewer) on PostgreSQL, through pgx v5's connection pool,
// for running several getpaid processes on one database.
//
//	s, err := postgres.Open(ctx, "postgres://getpaid:secret@db.example:5432/getpaid", postgres.Options{})
//
// Across every handle and process sharing the database:
//
//   - UpdatePayment, the one mutation path, locks the payment's row (SELECT
//     ... FOR UPDATE) for one short transaction of two round trips; changes
//     of one payment take turns, changes of different payments do not wait
//     for each other. No transaction is ever open while a broker is called
//     (the engine calls brokers before or after the store, never from Apply).
//   - A broker event is applied at most once per payment: the primary key
//     (payment_id, event_key) of applied_events refuses a repeat, which is
//     reported as getpaid.ErrDuplicateEvent without calling Apply.
//   - "One live payment per order" is a partial unique index; a taken id or
//     external id is refused by unique indexes.
//   - StalePayments with a claim lists and claims in one statement (FOR
//     UPDATE SKIP LOCKED): a waiting payment is polled by one process per
//     interval, whatever the number of processes. DueOperations claims the
//     money operations the reconciler checks the same way; UpdatePayment
//     locks the operation it changes, so a claim skips it meanwhile.
//   - ClaimDeliveries leases due event deliveries in one statement (FOR
//     UPDATE SKIP LOCKED): each is attempted by one process at a time, and a
//     crashed process's leases run out. A delivery waits while an earlier
//     one of its payment to its consumer is pending, so each consumer gets
//     a payment's events in order. FinishDeliveries locks the deliveries it
//     records and ignores a result whose lease another owner holds.
//   - An idempotency key names one operation of a payment (a unique index):
//     the same key asked of two processes at once writes one operation.
//   - Reads go to the database every time: there is no cache, so what one
//     process committed every other reads at once.
//   - A lookup or filter by a string PostgreSQL cannot hold as text (a NUL,
//     bytes that are not UTF-8: a %00 in a URL) finds nothing, as on the
//     other stores, instead of failing the statement; a broker event key
//     that is not text, or longer than the index takes, is kept as its
//     SHA-256, so it too applies once.
//
// It also reports readiness (getpaid.Readier: the database answers and its
// schema is the one this package migrates to, neither behind nor ahead) and
// the outbox backlog (getpaid.BacklogReporter), for /readyz and the metrics.
// It does not keep payment totals (getpaid.PaymentTotaler): on PostgreSQL the
// console lists payments without the totals above the listing.
//
// Faults: a database that cannot be reached, a pool with no free connection
// within Options.AcquireTimeout, PostgreSQL shutting down or restarting, a
// deadlock, a serialization failure, or a table or column gone (a newer
// getpaid migrated the schema past this process; not retried here) are
// getpaid.ErrUnavailable (the HTTP layer answers 503; brokers retry). An attempt that failed where nothing can
// have been committed is retried inside the store, twice, after 20 and 100
// ms (so is a statement prepared before a migration changed a column's
// type, which pgx prepares again); a connection lost or ended by the server (a FATAL, as on a shutdown)
// while a commit was on its way is never retried (the change may have been
// made) and is reported as ErrUnavailable too: for a broker notification the
// broker's retry is then a duplicate, answered 200. A COMMIT the server
// confirmed is success, whatever happens to the connection after it.
// The pool replaces broken connections by itself, so a process keeps
// running through a database restart and recovers without one of its own.
// A process that freezes or is cut off in the middle of a change (its
// connection open, its row lock held) is let go by the database after 5 s
// idle in the transaction (idle_in_transaction_session_timeout, unless the
// DSN sets it), so the other processes' changes of that payment go on.
//
// Statements are prepared once per connection (pgx's statement cache, the
// default); behind a transaction-mode pooler such as PgBouncer, add
// default_query_exec_mode=exec to the DSN. Writes are pipelined: creating a
// payment (with its first change, history row, events and their deliveries)
// is one round trip and one transaction. So is reading a payment
// with its history and operations (ViewPayment, what the engine shows for
// GET /api/v1/payments/{id}): a batch in one read-only repeatable-read
// transaction, so the three are read from one snapshot and agree. Every
// transaction that writes says its isolation, read committed (row locks
// serialise changes of a payment), so a database or role whose
// default_transaction_isolation is serializable changes nothing.
//
// The schema lives in migrations/ (goose files, embedded), applied by
// Migrate ("getpaid migrate") or by Open unless Options.NoMigrate, under a
// PostgreSQL advisory lock of the database and schema, so processes starting
// at once take turns; the lock is held by a transaction of its own (not by
// a session), so it holds behind a transaction-mode pooler too. Each
// migration waits at most 5 s for a table lock (SET LOCAL lock_timeout),
// then fails with getpaid.ErrUnavailable saying to run it again: waiting
// longer behind another session's long transaction would hold the running
// processes' statements on that table behind it. An index on a table that
// may be large (009's deliveries_ready) is built CONCURRENTLY, outside a
// transaction, in steps that a run after a failure completes: the running
// processes' writes do not wait for the build, which waits for every older
// transaction in the database to end. A database migrated by a newer getpaid is refused with
// getpaid.ErrSchemaNewer; with NoMigrate, one that is behind with
// getpaid.ErrSchemaOutdated. search_path in the DSN selects the schema,
// which must exist: Open and Migrate make tables, not schemas, and refuse a
// search_path naming none that exists with an error saying to create it or
// fix the DSN (getpaid.ErrInvalidRequest to errors.Is). So is a URL whose
// user name or password holds an @ or / not written %40 or %2F: pgx would
// read what follows it as the host or the database, and quote it in its
// errors.
package postgres
