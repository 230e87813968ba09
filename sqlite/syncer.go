package sqlite

import (
	"fmt"
	"os"
)

// syncer makes commits durable off the writer's path. The write connection
// runs with synchronous=NORMAL: in WAL mode a commit then writes its frames
// to the WAL file without waiting for them to reach the disk. The writer
// hands each committed batch to the syncer and goes on with the next batch
// while the syncer calls fdatasync on the WAL file and only then answers the
// batch's callers, so nobody hears "done" before their change is on disk —
// the guarantee of synchronous=FULL — while executing batch N+1 overlaps the
// disk flush of batch N. One flush covers every batch committed before it.
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
// it is durable; its writer has not been answered yet.
type syncer struct {
	wal  *os.File
	in   chan []answer
	done chan struct{}
}

// answer is one job's outcome waiting for the flush.
type answer struct {
	j *job
	r result
}

// newSyncer starts a syncer for the WAL file at walPath.
func newSyncer(walPath string) (*syncer, error) {
	f, err := os.OpenFile(walPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the WAL to sync it: %w", err)
	}
	s := &syncer{wal: f, in: make(chan []answer, 1), done: make(chan struct{})}
	go s.loop()
	return s, nil
}

// loop flushes the WAL for whatever batches are waiting, then answers them.
// The channel's one slot bounds the pipeline: one batch being flushed, one
// waiting, one being executed by the writer.
func (s *syncer) loop() {
	defer close(s.done)
	var pending []answer
	for first := range s.in {
		pending = append(pending[:0], first...)
	drain:
		for {
			select {
			case more, ok := <-s.in:
				if !ok {
					break drain
				}
				pending = append(pending, more...)
			default:
				break drain
			}
		}
		err := fdatasync(s.wal)
		for _, a := range pending {
			r := a.r
			if err != nil && r.err == nil && r.panicked == nil {
				// Committed but maybe not on disk: the caller retries,
				// and finds its change if it was kept.
				r = result{err: unavailable(fmt.Errorf("sqlite: sync the WAL: %w", err))}
			}
			a.j.done <- r
		}
		clear(pending)
	}
}

// close answers what is left and releases the file.
func (s *syncer) close() {
	close(s.in)
	<-s.done
	_ = s.wal.Close()
}
