//go:build !unix

package sqlite

import (
	"context"
	"database/sql"
)

// fileLocker is a no-op where flock is not available: SQLite's own write
// lock still keeps two migrations from interleaving statements.
type fileLocker struct{}

func newFileLocker(string) *fileLocker { return &fileLocker{} }

func (*fileLocker) SessionLock(context.Context, *sql.Conn) error   { return nil }
func (*fileLocker) SessionUnlock(context.Context, *sql.Conn) error { return nil }
