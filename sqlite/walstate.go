package sqlite

import "github.com/ncruces/go-sqlite3"

// walBroken is the failed write that stopped the writer's WAL for good
// (walFile.err), or nil: after it every statement of the writer fails until
// the database is opened again. The writer's connection is looked at
// between its statements (database/sql locks the connection for each).
func (s *Store) walBroken() error { return s.w.walBroken() }

// walBroken is the failed write that stopped the writer's WAL, or nil (see
// Store.walBroken).
func (w *writer) walBroken() error {
	var werr error
	_ = w.conn.Raw(func(dc any) error {
		r, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return nil // another driver: no walFile
		}
		f, err := r.Raw().FileControl("main", sqlite3.FCNTL_JOURNAL_POINTER)
		if err != nil {
			return nil
		}
		if wf, ok := f.(*walFile); ok {
			werr = wf.err
		}
		return nil
	})
	return werr
}
