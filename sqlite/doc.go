// Package sqlite is a durable getpaid.Store on SQLite through a pure-Go driver
// (no cgo): modernc.org/sqlite or github.com/ncruces/go-sqlite3, chosen with
// Options.Driver.
//
// The database runs in WAL mode with synchronous=FULL (unless
// Options.Synchronous says otherwise), so a change is on disk when
// UpdatePayment or CreatePayment returns. The connection settings live in
// the DSN, so every pooled connection gets them.
//
// Writes use group commit: one writer goroutine owns the only write connection,
// gathers the queued writes, runs them in one BEGIN IMMEDIATE transaction,
// commits once and only then answers every waiter. A write refused before it
// changed anything (a repeated event id, a forbidden change) simply gets its
// error; if one fails after changing something, the batch is rolled back and
// run again with each write in its own SAVEPOINT, so the failure is undone
// alone and gets its own error. Each
// change stays atomic and nobody hears "done" before the fsync, while one
// fsync serves a whole batch. Mutation.Apply runs inside the writer, so
// load-apply-persist is serialised and event keys are deduplicated in the same
// transaction. Reads use a separate pool of read-only connections, which WAL
// lets run alongside the writer.
//
// Payment and History are served from a cache of recently written payments
// that the writer keeps exact: after each commit, in commit order, every
// change updates or drops its entry, and reads fill it only when no commit
// raced them. It assumes this Store is the only process writing payments to
// the file; Options.NoCache turns it off.
//
// The schema is embedded (migrations/*.sql) and applied by Open; Migrate
// applies it alone, for a "getpaid migrate" command.
//
// BenchmarkLifecycle compares the drivers on this store's own workload:
//
//	go test -run '^$' -bench Lifecycle -benchtime 3s ./sqlite/
package sqlite
