package sqlite

import (
	"database/sql"
	"fmt"
)

// OpenDB opens a plain database/sql handle on the SQLite file at path with the
// same connection settings as the Store (busy timeout, WAL, synchronous=FULL,
// foreign keys, immediate transactions), for an application's own tables in
// the same file (the demo shop keeps its orders beside getpaid's payments).
func OpenDB(path string, opts Options) (*sql.DB, error) {
	driver, err := sqlDriverName(opts.Driver)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
