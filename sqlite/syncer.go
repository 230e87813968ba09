package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"
)

// syncer makes commits durable off the writer's path. The write connection
// runs with synchronous=NORMAL: in WAL mode a commit then writes its frames
// to the WAL file without waiting for them to reach the disk. The writer
// hands each committed batch to the syncer and goes on with the next batch
// while the syncer calls fdatasync on the WAL file and only then answers the
// batch's callers, so nobody hears "done" before their change is on disk —
// the guarantee of synchronous=FULL — while executing batch N+1 overlaps the
// disk flush of batch N.
//
// The writer commits batch N+1 only once the flush of batch N is over (it
// holds the syncer's one token, ready): until then it keeps adding queued
// jobs to the open transaction. One commit per flush keeps batches as large
// as the disk allows; committing at once made many small commits at low
// concurrency, each writing the same pages to the WAL again, and cost more
// CPU per change than the flush it overlapped saved.
//
// Under concurrent writes the syncer also spaces its flushes: once a batch
// of more than one write is flushed and answered, it gives the token back no
// sooner than gap after that flush began (Options.FlushInterval, 1 ms by
// default). Meanwhile the writer keeps adding arriving jobs to the open
// transaction, so each commit and flush carries more of them: a commit
// costs about the same CPU whether it carries one write or twenty (the
// same leaf pages are written to the WAL, then one fdatasync), and this is
// what the writer saves. After a batch of one write (a lone writer, as long
// as no background job shares its batch) the next commit is not held back:
// nothing changes for it but who is answered first. The callers of the
// flushed batch are answered before the wait.
//
// Why this is as durable as FULL. A change is answered only after an fsync
// of the WAL that began after the change's frames were written, so it is on
// disk. On a power loss, WAL recovery keeps the longest run of frames whose
// chained checksums are valid and that ends in a commit frame: it replays a
// prefix of the commits, never a later commit without an earlier one, so
// the database is consistent and holds every answered change (the unanswered
// ones may be lost; their callers got no answer and retry, and a broker's
// repeated notification is a duplicate only if the first one was kept). A
// process crash loses nothing written to the WAL: the OS has it. Checkpoints
// still sync the WAL before copying it into the database file and sync the
// database after, as under FULL. What differs from FULL: another connection
// may read a committed change up to one flush (about a millisecond) before
// it is durable; its writer has not been answered yet. Whoever answers
// someone from such a read (the engine acknowledging a broker's repeated
// notification) first calls Store.WaitDurable, which returns after a flush
// that covers it.
//
// The WAL's name must be on the disk too. SQLite creates the WAL when the
// database is opened (it deleted it when the last connection closed) and,
// under FULL, syncs its directory at the WAL's first sync, before the first
// commit returns; under NORMAL it syncs the WAL only in a checkpoint, after
// writes were answered. An fdatasync of a file does not make its directory
// entry durable (fsync(2)): a power loss could take the new WAL, and every
// answered commit in it, away. So the first flush syncs the directory
// before the WAL (TestFirstFlushSyncsTheWALDirectory).
type syncer struct {
	wal   *os.File
	dir   *os.File // the WAL's directory until its first flush, then nil
	in    chan flushBatch
	ready chan struct{} // holds the token while no flush is running
	done  chan struct{}
	flush func(*os.File) error // fdatasync; tests slow it down
	// gap is the least time from the start of a flush of several writes
	// to the commit of the next batch; 0 does not wait.
	gap time.Duration
	// flushed runs after each flush that succeeded (the checkpointer's
	// kick): set before the first batch, never changed.
	flushed func()

	// failed holds the first flush error for good. After a failed fsync
	// the kernel may have dropped the dirty pages and a later fsync can
	// succeed without them, so nothing committed after it is ever answered
	// as durable, and the writer takes no more writes: reopening the
	// database (a restart) lets WAL recovery say what was kept.
	failed atomic.Pointer[error]
}

// flushBatch is a committed batch handed to the syncer: its jobs'
// outcomes, and report (nil: none), told the flush's outcome before they
// are answered (the writer's Options.OnCommit).
type flushBatch struct {
	answers []answer
	report  func(error)
}

// answer is one job's outcome waiting for the flush.
type answer struct {
	j *job
	r result
}

// newSyncer starts a syncer for the WAL file at walPath that spaces its
// flushes of several writes by gap.
func newSyncer(walPath string, gap time.Duration) (*syncer, error) {
	f, err := os.OpenFile(walPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the WAL to sync it: %w", err)
	}
	s := &syncer{wal: f, in: make(chan flushBatch, 1), ready: make(chan struct{}, 1), done: make(chan struct{}), flush: fdatasync, gap: gap}
	if runtime.GOOS != "windows" { // a directory is no file to sync there
		// One that cannot be opened (no read permission) is not synced,
		// as SQLite's own VFS does then.
		if d, err := os.Open(filepath.Dir(walPath)); err == nil {
			s.dir = d
		}
	}
	s.ready <- struct{}{}
	go s.loop()
	return s, nil
}

// loop flushes the WAL for each committed batch, answers the batch's
// callers, then gives the token back so the writer may commit the next one
// (after gap from the flush's start, when the batch had several writes).
func (s *syncer) loop() {
	defer close(s.done)
	for fb := range s.in {
		batch := fb.answers
		start := time.Now()
		err := s.failure()
		if err == nil && s.dir != nil {
			if err = s.flush(s.dir); err == nil {
				_ = s.dir.Close()
				s.dir = nil
			} else {
				err = unavailable(fmt.Errorf("sqlite: sync the WAL's directory: %w; the store takes no more writes until it is opened again", err))
				s.failed.Store(&err)
			}
		}
		if err == nil {
			if err = s.flush(s.wal); err != nil {
				err = unavailable(fmt.Errorf("sqlite: sync the WAL: %w; the store takes no more writes until it is opened again", err))
				s.failed.Store(&err)
			} else if s.flushed != nil {
				s.flushed()
			}
		}
		if fb.report != nil {
			fb.report(err)
		}
		for _, a := range batch {
			r := a.r
			if err != nil && r.panicked == nil {
				// Maybe not on disk, whatever the job's own outcome (a
				// "duplicate event" may be about a change that is not
				// durable either): the caller retries once the store is
				// open again, and finds its change if it was kept.
				r = result{err: err}
			}
			a.j.done <- r
		}
		if err == nil && len(batch) > 1 {
			if d := s.gap - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
		s.ready <- struct{}{}
	}
}

// failure is the flush error that stopped the store, or nil.
func (s *syncer) failure() error {
	if p := s.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// send hands a committed batch over; the caller holds the token, so the
// syncer is free and this does not wait.
// report, when not nil, is told the flush's outcome before the jobs are
// answered.
func (s *syncer) send(batch []answer, report func(error)) {
	s.in <- flushBatch{answers: batch, report: report}
}

// release gives back a token taken for a commit that did not happen.
func (s *syncer) release() { s.ready <- struct{}{} }

// close answers what is left and releases the file.
func (s *syncer) close() {
	close(s.in)
	<-s.done
	_ = s.wal.Close()
	if s.dir != nil {
		_ = s.dir.Close()
	}
}
