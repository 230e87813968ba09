//go:build drivercompare

package sqlite_test

import (
	"testing"

	msqlite "modernc.org/sqlite" // registers database/sql driver "sqlite"

	"github.com/getpaid-go/getpaid/sqlite"
)

// BenchmarkDrivers is the measurement that chose the store's driver: the
// lifecycle workload on github.com/ncruces/go-sqlite3 (linked, "sqlite3") and
// on modernc.org/sqlite ("sqlite"), which only this file links:
//
//	go test -tags drivercompare -run '^$' -bench Drivers -benchtime 3s -count 3 ./sqlite/
//
// "modernc-fdatasync" flips modernc's process-wide switch from fsync(2) to
// fdatasync(2), what ncruces and C SQLite builds use on Linux.
func BenchmarkDrivers(b *testing.B) {
	for _, v := range []struct {
		name, driver string
		fdatasync    bool
	}{
		{name: "ncruces", driver: sqlite.DefaultDriver},
		{name: "modernc", driver: "sqlite"},
		{name: "modernc-fdatasync", driver: "sqlite", fdatasync: true},
	} {
		b.Run(v.name, func(b *testing.B) {
			if v.fdatasync {
				prev, err := msqlite.Fdatasync(true)
				if err != nil {
					b.Skip(err)
				}
				defer func() { _, _ = msqlite.Fdatasync(prev) }()
			}
			benchLifecycle(b, sqlite.Options{Driver: v.driver}, false)
		})
	}
}
