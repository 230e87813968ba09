// Package sqlite is a durable getpaid.Store on SQLite through a pure-Go
// driver (no cgo): github.com/ncruces/go-sqlite3 (modernc.org/sqlite can be
// named with Options.Driver when the program registers it).
//
// The database runs in WAL mode, and a change is on disk when UpdatePayment
// or CreatePayment returns (unless Options.Synchronous is NORMAL). The
// connection settings live in the DSN, so every pooled connection gets them.
//
// Writes use group commit: one writer goroutine owns the only write
// connection, gathers the queued writes, runs them in one BEGIN IMMEDIATE
// transaction and commits once. A write refused before it changed anything
// (a repeated event id, a forbidden change) simply gets its error; if one
// fails after changing something, the batch is rolled back and run again
// with each write in its own SAVEPOINT, so the failure is undone alone and
// gets its own error. The commit does not wait for the disk: a syncer
// flushes the WAL beside the writer and answers each batch once its flush
// is done, so nobody hears "done" before the change is on disk while the
// writer already runs the next batch, taking in what arrives until that
// flush is over and committing then: one commit per flush (see syncer for
// why this is as durable as synchronous=FULL). After a flush of several
// writes the next commit waits until Options.FlushInterval (1 ms) has passed
// since that flush began, gathering more writes per commit under load;
// after a batch of a single write the next commit is not held back. The
// writer's connection writes a commit's WAL frames to the file in one
// system call (a VFS beside the OS one gathers them: walbuf.go says why no
// reader can see a frame before it is in the file) and keeps the console's
// payment totals itself, running with triggers off (the totals triggers
// count other connections' payment writes: tally.go). While another Store
// uses the file, the writer waits for the flush before it begins a batch
// instead, so it never holds the write lock while the disk works. A failed flush, or a
// failed write of the WAL, stops writes for good; a checkpoint that fails on
// the disk (an I/O error) stops checkpoints. The database file or its WAL
// removed or replaced while the store has them open (its directory
// deleted, a backup moved over it: SQLite would go on writing to files no
// name reaches any more) stops writes as a failed flush does, seen within
// 250 ms (gone.go; with Synchronous other than FULL it is only reported).
// After any of them the store is unready (Ready) until opened again; after
// a failed flush or checkpoint, or files gone, Close leaves the WAL to the
// next open's recovery instead of checkpointing it. Checkpoints run beside
// the writer; past 256 MiB of WAL the writer copies the rest itself before
// a batch, so that batch starts the WAL again from the top (walrestart.go):
// the file stays bounded under a stream of writes.
// Mutation.Apply runs inside the writer, so
// load-apply-persist is serialised and event keys are deduplicated in the
// same transaction. Reads use a separate pool of read-only connections,
// which WAL lets run alongside the writer; their statements are prepared
// once.
//
// Payment, History and ViewPayment are served from a cache of recently
// written and read payments that the writer keeps exact: after each commit,
// in commit order, every change updates or drops its entry, and reads fill
// it only when no commit raced them. The writer reads a payment it changes
// from there too, unless a write of the same batch touched it. The cache
// answers only while this Store is the one getpaid using the file: a second
// Store opening it (another process, or this one, a getpaid tool run beside
// the server) turns it off until every other Store has closed the file
// again (looked at every 5 s; it then starts empty). Options.NoCache turns
// it off for good. Several processes may share one file, each then reading
// from the database.
//
// A status change is stored once, as its payment.status_changed event in
// the outbox: the event says all its history row does
// (getpaid.Transition.RecordedBy), and History reads the events (with the
// history table's rows from before migration 012).
//
// The schema is embedded (migrations/*.sql) and applied by Open; Migrate
// applies it alone, for a "getpaid migrate" command.
//
// Beside the database file (PATH) and SQLite's own PATH-wal and PATH-shm,
// Open leaves two small files that outlive Close: PATH.migrate-lock (Unix:
// migrations of one file, and the first connection of each Store, wait for
// each other across processes) and PATH-getpaid (Linux: how Stores sharing
// the file learn of each other, for the cache, and so that a Store alone on
// the file gives back the delivery leases of processes gone). They hold no
// payment data and a copy of the database needs neither; delete them only
// with the database, never while a process has it open (a Store opening a
// fresh PATH-getpaid would not see the others: it would serve reads from a
// cache they do not keep, and give back the leases of their deliveries in
// flight, which would be sent twice).
//
// BenchmarkLifecycle measures this store's own workload:
//
//	go test -run '^$' -bench Lifecycle -benchtime 3s ./sqlite/
//
// It reports lifecycles/s and the process's CPU per lifecycle (cpu-µs/op).
package sqlite
