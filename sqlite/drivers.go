package sqlite

import (
	_ "github.com/ncruces/go-sqlite3/driver" // registers database/sql driver "sqlite3"
)

// DefaultDriver is the database/sql driver Options.Driver defaults to:
// github.com/ncruces/go-sqlite3, SQLite compiled to Wasm and translated to Go
// (no cgo). It is the only SQLite driver this package links. It was chosen
// over modernc.org/sqlite on this store's own workload (BenchmarkLifecycle in
// driver_compare_test.go, build tag drivercompare): within a few percent in
// throughput, about 10% less CPU per lifecycle, and it syncs with fdatasync
// on Linux as C SQLite does.
const DefaultDriver = "sqlite3"

// sqlDriverName returns the database/sql driver name to open.
func sqlDriverName(driver string) (string, error) {
	if driver == "" {
		return DefaultDriver, nil
	}
	return driver, nil
}
