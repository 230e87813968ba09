package sqlite

import "github.com/ncruces/go-sqlite3"

// walBroken is the failed write that stopped the writer's WAL for good
// (walFile.err), or nil: after it every statement of the writer fails until
// the database is opened again. The writer's connection is looked at
// between its statements (database/sql locks the connection for each).
func (s *Store) walBroken() error {
	var werr error
	_ = s.w.conn.Raw(func(dc any) error {
		r, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return nil // another driver: no walFile
		}
		f, err := r.Raw().FileControl("main", sqlite3.FCNTL_JOURNAL_POINTER)
		if err != nil {
			return nil
		}
		if w, ok := f.(*walFile); ok {
			werr = w.err
		}
		return nil
	})
	return werr
}
