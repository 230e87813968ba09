package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
)

// errClosed is returned for writes submitted after Close.
var errClosed = fmt.Errorf("%w: sqlite: store is closed", getpaid.ErrUnavailable)

// errBatchFailed is the Commit.Err of a batch that was rolled back.
var errBatchFailed = fmt.Errorf("%w: sqlite: batch rolled back", getpaid.ErrUnavailable)

// Job states: a waiter whose context ends may abandon a queued job; once the
// writer has taken it, the waiter waits for the real outcome instead.
const (
	jobQueued int32 = iota
	jobTaken
	jobAbandoned
)

// job is one queued write. fn runs on the writer goroutine inside the batch
// transaction (in its own savepoint when the batch is run again after a
// failure).
type job struct {
	ctx   context.Context
	fn    func(tx *wtx) (any, error)
	after func(val any) // run after the commit, in commit order, under the cache's lock
	state atomic.Int32
	done  chan result // buffered: the writer never blocks answering
}

// result is a job's outcome; a panic in fn is carried back to the waiter.
type result struct {
	val      any
	err      error
	panicked any
}

// writer is the group-commit loop that owns the one write connection.
type writer struct {
	// walPath is the WAL's path, and walRestart the size past which the
	// writer copies it back itself before a batch (see restartWAL).
	walPath    string
	walRestart atomic.Int64
	conn       *sql.Conn
	st         *writeStmts
	maxBatch   int
	onCommit   func(Commit)
	sync       *syncer // answers committed batches once durable; nil: at once
	cache      *cache  // nil when reads are not cached
	cp         *checkpointer
	tallies    bool  // its connection runs without triggers: it writes the totals itself (tally)
	seen       int64 // the connection's data_version at the last batch: see othersWrote

	// Only the writer goroutine uses these two.
	held   bool          // the writer holds the syncer's token
	waited time.Duration // how long the current batch waited for the previous flush

	mu      sync.RWMutex // guards closed against concurrent submits
	closed  bool
	queue   chan *job
	quit    chan struct{}
	stopped chan struct{}
}

// wtx is what a job's fn gets: the writer's statements, inside the batch
// transaction. Statements run with a background context: cancelling one
// caller must not interrupt the shared transaction.
type wtx struct {
	st    *writeStmts
	conn  *sql.Conn // for the few statements built per call
	ctx   context.Context
	dirty bool // the current job has changed something

	abortErr error // why the writer gave the batch up (runJob's batchAnswered)

	cache   *cache          // the read cache (nil: none), as the last commit left it
	touched map[string]bool // payments written in this run of the batch

	tally    tally // the kept jobs' changes to payment_totals, written before the commit
	jobTally tally // the current job's, added to tally if it is kept
}

// touch notes that payment id was written in this run of the batch.
func (tx *wtx) touch(id string) {
	if tx.touched == nil {
		tx.touched = map[string]bool{}
	}
	tx.touched[id] = true
}

// exec runs a write statement and notes that the job changed something. A
// statement that fails changes nothing: SQLite undoes a failed statement on
// its own, and the transaction goes on.
func (tx *wtx) exec(s *sql.Stmt, args ...any) (sql.Result, error) {
	r, err := s.ExecContext(tx.ctx, args...)
	if err == nil {
		tx.dirty = true
	}
	return r, stmtErr(err)
}

// stmtErr classifies a write statement's error: a constraint refusal stays
// as it is (the caller maps it to a domain error); anything else is the
// database failing, getpaid.ErrUnavailable.
func stmtErr(err error) error {
	if err == nil || isUnique(err) {
		return err
	}
	return unavailable(err)
}

// execSQL is exec for a statement built per call.
func (tx *wtx) execSQL(q string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(q)
	if err != nil {
		return nil, stmtErr(err)
	}
	var r sql.Result
	if st != nil {
		r, err = st.ExecContext(tx.ctx, args...)
	} else {
		r, err = tx.conn.ExecContext(tx.ctx, q, args...)
	}
	if err == nil {
		tx.dirty = true
	}
	return r, stmtErr(err)
}

// query runs a read statement built per call inside the transaction.
func (tx *wtx) query(q string, args ...any) (*sql.Rows, error) {
	st, err := tx.stmt(q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.conn.QueryContext(tx.ctx, q, args...)
	}
	return st.QueryContext(tx.ctx, args...)
}

// queryRow is query for one row.
func (tx *wtx) queryRow(q string, args ...any) *sql.Row {
	if st, err := tx.stmt(q); err == nil && st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.conn.QueryRowContext(tx.ctx, q, args...)
}

// stmt returns q prepared on the write connection (once), or nil when too
// many texts were prepared already. Only the writer goroutine calls it.
func (tx *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := tx.st.byText[q]; ok {
		return st, nil
	}
	if len(tx.st.byText) >= maxCachedStmts {
		return nil, nil
	}
	st, err := tx.conn.PrepareContext(tx.ctx, q)
	if err != nil {
		return nil, err
	}
	if tx.st.byText == nil {
		tx.st.byText = map[string]*sql.Stmt{}
	}
	tx.st.byText[q] = st
	return st, nil
}

// newWriter prepares the write statements on conn and starts the loop.
// With sync, committed batches are answered by it once durable.
func newWriter(ctx context.Context, conn *sql.Conn, maxBatch int, onCommit func(Commit), sync *syncer) (*writer, error) {
	tallies, err := writerTriggersOff(conn)
	if err != nil {
		return nil, err
	}
	st, err := prepareWrites(ctx, conn)
	if err != nil {
		return nil, err
	}
	if maxBatch <= 0 {
		maxBatch = 256
	}
	w := &writer{
		conn: conn, st: st, maxBatch: maxBatch, onCommit: onCommit, sync: sync, tallies: tallies, seen: -1,
		queue:   make(chan *job, maxBatch),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go w.loop()
	return w, nil
}

// do queues fn and waits for its outcome, which is only reported after the
// batch holding it has committed. If ctx ends before the writer takes the job,
// the job is dropped and ctx's error returned; after that, do waits for the
// real outcome so the caller never hears "cancelled" for a committed change.
func (w *writer) do(ctx context.Context, fn func(tx *wtx) (any, error)) (any, error) {
	return w.doAfter(ctx, fn, nil)
}

// doAfter is do with a hook the writer runs after the commit, in commit
// order, before anyone is answered: it keeps the read cache exact.
func (w *writer) doAfter(ctx context.Context, fn func(tx *wtx) (any, error), after func(any)) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, fn: fn, after: after, done: make(chan result, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return nil, errClosed
	}
	select {
	case w.queue <- j:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return nil, ctx.Err()
	}
	var r result
	select {
	case r = <-j.done:
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return nil, ctx.Err()
		}
		r = <-j.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.val, r.err
}

// close stops accepting writes, lets the writer finish the queued ones and
// releases the connection.
func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.stopped
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	<-w.stopped
	if w.sync != nil {
		w.sync.close()
	}
	if w.cp != nil {
		_ = w.cp.close()
	}
	w.st.close()
	_ = w.conn.Close()
}

// loop gathers whatever is queued into one batch and runs it, until quit;
// then it runs what is left in the queue and stops.
func (w *writer) loop() {
	defer close(w.stopped)
	batch := make([]*job, 0, w.maxBatch)
	for {
		select {
		case j := <-w.queue:
			w.takeTokenFirst()
			batch = w.gather(append(batch[:0], j))
			w.run(batch)
		case <-w.quit:
			for {
				batch = w.gather(batch[:0])
				if len(batch) == 0 {
					return
				}
				w.takeTokenFirst()
				batch = w.gather(batch)
				w.run(batch)
			}
		}
	}
}

// takeTokenFirst waits for the previous flush (and the syncer's spacing
// after it, see syncer) before a batch begins when another Store may write
// to the file: then the write lock (BEGIN IMMEDIATE) is never held across a
// flush, and the other writers wait for a batch's execution only. Alone on
// the file, the writer begins at once and waits for the flush inside the
// transaction (awaitFlush), taking in what arrives meanwhile. Jobs queued
// during the wait join the batch.
func (w *writer) takeTokenFirst() {
	if w.sync == nil || w.held || w.cache.alone() {
		return
	}
	<-w.sync.ready
	w.held = true
}

// gather adds queued jobs to batch without waiting, up to maxBatch.
func (w *writer) gather(batch []*job) []*job {
	for len(batch) < w.maxBatch {
		select {
		case j := <-w.queue:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// run executes one batch in one transaction (see runBatch for failures),
// commits, and then answers every job taken.
func (w *writer) run(batch []*job) {
	taken := batch[:0]
	for _, j := range batch {
		if j.state.CompareAndSwap(jobQueued, jobTaken) {
			taken = append(taken, j)
		}
	}
	if len(taken) == 0 {
		w.releaseToken()
		return
	}
	if w.sync != nil {
		if err := w.sync.failure(); err != nil {
			w.releaseToken()
			answerAll(taken, make([]result, len(taken)), err)
			return
		}
	}
	// First without savepoints: a job that fails before changing anything
	// (a repeated event, a refused mutation checked first) needs no undo. If
	// a job fails after changing something, the batch is rolled back and run
	// again with each job in its own savepoint.
	start := time.Now()
	w.waited = 0
	taken, results, st := w.runBatch(taken, false)
	if st == batchRetry {
		taken, results, st = w.runBatch(taken, true)
	}
	if st != batchCommitted {
		w.releaseToken()
	}
	var report func(error)
	if w.onCommit != nil {
		c := Commit{Writes: len(taken), Duration: time.Since(start) - w.waited}
		switch {
		case st != batchCommitted:
			c.Err = errBatchFailed
			w.onCommit(c)
		case w.sync != nil:
			// Committed, and failed all the same if its flush fails: every
			// write in it is then answered unavailable.
			report = func(err error) { c.Err = err; w.onCommit(c) }
		default:
			w.onCommit(c)
		}
	}
	if st != batchCommitted {
		return // every job was answered with its error
	}
	if w.cp != nil && w.sync == nil { // with a syncer, it kicks once the flush is done
		w.cp.committed()
	}
	w.cache.committed(func() {
		for i, j := range taken {
			if r := results[i]; j.after != nil && r.err == nil && r.panicked == nil {
				j.after(r.val)
			}
		}
	})
	if w.sync != nil {
		out := make([]answer, len(taken))
		for i, j := range taken {
			out[i] = answer{j: j, r: results[i]}
		}
		w.held = false
		w.sync.send(out, report)
		return
	}
	for i, j := range taken {
		j.done <- results[i]
	}
}

// Outcomes of runBatch.
const (
	batchCommitted = iota // committed: hand the results out
	batchRetry            // rolled back, nobody answered: run again with savepoints
	batchAnswered         // failed, and every job was answered with its error
)

// runBatch runs the jobs in one transaction and commits it. Without
// savepoints (safe=false) it rolls back and asks for a retry as soon as a job
// fails after changing something; with savepoints each failing job is undone
// alone. With a syncer, it commits only once the syncer gives the token
// back, after the previous flush and its spacing (and not at all if that
// flush failed), adding queued jobs to the transaction while it waits (not
// when safe: a rerun commits what it was given); it returns the jobs it
// ran.
func (w *writer) runBatch(taken []*job, safe bool) ([]*job, []result, int) {
	bg := context.Background()
	// Grown as awaitFlush adds jobs (runJob writes a result only while it
	// runs): a batch is usually far below maxBatch, and a slice of that
	// capacity per batch was 6% of the bytes the server allocated.
	results := make([]result, len(taken))
	w.restartWAL()
	if _, err := w.st.begin.ExecContext(bg); err != nil {
		w.answerFailed(taken, results, unavailable(fmt.Errorf("sqlite: begin: %w", err)))
		return taken, nil, batchAnswered
	}
	if w.cache != nil && w.othersWrote() {
		w.cache.forget()
	}
	tx := &wtx{st: w.st, conn: w.conn, ctx: bg, cache: w.cache}
	for i, j := range taken {
		if st := w.runJob(tx, j, &results[i], safe); st != batchCommitted {
			if st == batchAnswered {
				w.answerFailed(taken, results, tx.abortErr)
			}
			return taken, nil, st
		}
	}
	if w.sync != nil {
		var st int
		if taken, results, st = w.awaitFlush(tx, taken, results, safe); st != batchCommitted {
			return taken, nil, st
		}
		if err := w.sync.failure(); err != nil {
			// The previous flush failed while this batch ran: the store
			// takes no more writes, and commits none.
			w.abort(taken, results, err)
			return taken, nil, batchAnswered
		}
	}
	if w.tallies {
		if err := tx.writeTally(); err != nil {
			w.abort(taken, results, unavailable(err))
			return taken, nil, batchAnswered
		}
	}
	if _, err := w.st.commit.ExecContext(bg); err != nil {
		w.abort(taken, results, unavailable(fmt.Errorf("sqlite: commit: %w", err)))
		return taken, nil, batchAnswered
	}
	return taken, results, batchCommitted
}

// awaitFlush returns once the syncer gives the token back (the previous
// batch's flush is over, and spaced: see syncer), holding it. Until then,
// unless safe or full, it runs queued jobs in the open transaction and adds
// them to the batch; a job that fails the batch ends it as runJob says (the
// token not taken).
func (w *writer) awaitFlush(tx *wtx, taken []*job, results []result, safe bool) ([]*job, []result, int) {
	if w.held {
		return taken, results, batchCommitted
	}
	since := time.Now()
	defer func() { w.waited += time.Since(since) }()
	for !safe && len(taken) < w.maxBatch {
		select {
		case <-w.sync.ready:
			w.held = true
			return taken, results, batchCommitted
		default:
		}
		var j *job
		select {
		case <-w.sync.ready:
			w.held = true
			return taken, results, batchCommitted
		case j = <-w.queue:
		}
		if !j.state.CompareAndSwap(jobQueued, jobTaken) {
			continue
		}
		taken = append(taken, j)
		results = append(results, result{})
		if st := w.runJob(tx, j, &results[len(results)-1], safe); st != batchCommitted {
			if st == batchAnswered {
				w.answerFailed(taken, results, tx.abortErr)
			}
			return taken, results, st
		}
	}
	<-w.sync.ready
	w.held = true
	return taken, results, batchCommitted
}

// othersWrote reports, inside the batch's transaction, whether another
// connection committed to the file since the last batch (SQLite's
// data_version moves for others' commits only, not the connection's own, nor
// a checkpoint). The marker sees every getpaid Store; this sees what it
// cannot, a tool or the sqlite3 shell writing beside a lone getpaid, whose
// edit the writer would otherwise undo, starting its next change of that
// payment from the copy it cached (and count the totals from it). An error
// counts as a write: the cache is then only dropped.
func (w *writer) othersWrote() bool {
	var v int64
	if err := w.st.dataVersion.QueryRowContext(context.Background()).Scan(&v); err != nil {
		return true
	}
	changed := v != w.seen
	w.seen = v
	return changed
}

// releaseToken gives the syncer's token back if the writer holds it (a
// batch that did not commit).
func (w *writer) releaseToken() {
	if w.held {
		w.held = false
		w.sync.release()
	}
}

// runJob runs one job of a batch into *r. It returns batchCommitted to go
// on, batchRetry after rolling back (nobody answered), or batchAnswered after
// rolling back with tx.abortErr for the caller to answer everyone with.
func (w *writer) runJob(tx *wtx, j *job, r *result, safe bool) int {
	bg := context.Background()
	if err := j.ctx.Err(); err != nil {
		r.err = err
		return batchCommitted
	}
	if safe {
		if _, err := w.st.savepoint.ExecContext(bg); err != nil {
			_, _ = w.st.rollback.ExecContext(bg)
			tx.abortErr = unavailable(fmt.Errorf("sqlite: savepoint: %w", err))
			return batchAnswered
		}
	}
	tx.dirty = false
	clear(tx.jobTally)
	*r = call(j.fn, tx)
	failed := r.err != nil || r.panicked != nil
	if !safe {
		if failed && (tx.dirty || !cleanFailure(r.err)) {
			_, _ = w.st.rollback.ExecContext(bg)
			return batchRetry
		}
		if !failed {
			tx.tally.take(tx.jobTally)
		}
		return batchCommitted
	}
	var err error
	if failed {
		_, err = w.st.rollbackTo.ExecContext(bg)
	}
	if err == nil {
		_, err = w.st.release.ExecContext(bg)
	}
	if err != nil {
		// The transaction is no longer trustworthy: give up the batch.
		_, _ = w.st.rollback.ExecContext(bg)
		tx.abortErr = unavailable(fmt.Errorf("sqlite: release savepoint: %w", err))
		return batchAnswered
	}
	if !failed {
		tx.tally.take(tx.jobTally)
	}
	return batchCommitted
}

// cleanFailure reports whether a job's error is a refusal that happened
// before it changed anything and left the transaction intact: a domain
// error (a repeated event, a unique id taken, a forbidden change). Anything
// else, database errors above all, makes the batch run again with savepoints.
func cleanFailure(err error) bool {
	var te *getpaid.TransitionError
	var fe *getpaid.FieldError
	var me *getpaid.MoneyError
	if err == nil || errors.As(err, &te) || errors.As(err, &fe) || errors.As(err, &me) {
		return err != nil
	}
	for _, s := range []error{getpaid.ErrDuplicateEvent, getpaid.ErrNotFound, getpaid.ErrConflict,
		getpaid.ErrLivePaymentExists, getpaid.ErrAmountMismatch, getpaid.ErrBackendMismatch,
		getpaid.ErrForbiddenTransition, getpaid.ErrInvalidAmount, getpaid.ErrInvalidRequest} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// abort rolls the batch back and answers it (answerFailed).
func (w *writer) abort(taken []*job, results []result, err error) {
	_, _ = w.st.rollback.ExecContext(context.Background())
	w.answerFailed(taken, results, err)
}

// answerFailed answers the jobs of a batch that was rolled back: every job
// hears err (a panic stays a panic), those refused too. Nothing of the
// batch was kept, and a refusal may rest on what an earlier job of it wrote:
// the second delivery of a notification, refused as a duplicate of the
// first, which its caller takes for done and acknowledges to the broker
// (TestDuplicateOfRolledBackBatch). Tried again, a job gets its own refusal
// back if it has one. With a syncer, they are answered only once the
// previous batch's flush and its spacing are over (it takes the token; run
// gives it back), and if that flush failed every job hears that failure
// instead, as the syncer would have answered them.
func (w *writer) answerFailed(taken []*job, results []result, err error) {
	for i := range results {
		if results[i].panicked == nil {
			results[i] = result{}
		}
	}
	if w.sync != nil {
		if !w.held {
			<-w.sync.ready
			w.held = true
		}
		if ferr := w.sync.failure(); ferr != nil {
			err = ferr
		}
	}
	if werr := w.walBroken(); werr != nil && !errors.Is(err, werr) {
		// Every statement fails now, and SQLite rolls the transaction
		// back on the first: what the batch met says nothing of why ("disk
		// I/O error", "no such savepoint: job"). The WAL's own error does
		// (a full disk): TestWritesAfterABrokenWALSayWhy.
		err = unavailable(fmt.Errorf("sqlite: a write of the WAL failed: %w; the store takes no more writes until it is opened again", werr))
	}
	answerAll(taken, results, err)
}

// answerAll answers every job, replacing successful outcomes with err.
func answerAll(taken []*job, results []result, err error) {
	for i, j := range taken {
		r := results[i]
		if r.err == nil && r.panicked == nil {
			r = result{err: err}
		}
		j.done <- r
	}
}

// call runs fn, turning a panic into a result carried back to the waiter.
func call(fn func(*wtx) (any, error), tx *wtx) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{panicked: p}
		}
	}()
	v, err := fn(tx)
	return result{val: v, err: err}
}
