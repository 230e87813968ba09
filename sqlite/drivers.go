package sqlite

import (
	"fmt"

	_ "github.com/ncruces/go-sqlite3/driver" // registers database/sql driver "sqlite3"
	_ "modernc.org/sqlite"                   // registers database/sql driver "sqlite"
)

// Driver names accepted in Options.Driver.
const (
	DriverModernc = "modernc" // modernc.org/sqlite: SQLite translated from C to Go
	DriverNcruces = "ncruces" // github.com/ncruces/go-sqlite3: SQLite compiled to Wasm, translated to Go by wasm2go
)

// DefaultDriver is the driver used when Options.Driver is empty. On
// BenchmarkLifecycle (2 cores, 32 goroutines) the two drivers are within a
// few percent of each other; ncruces came out slightly ahead in throughput
// and used about 10% less CPU per lifecycle, and it syncs with fdatasync on
// Linux as C SQLite does (modernc uses fsync unless a process-wide switch is
// flipped).
const DefaultDriver = DriverNcruces

// sqlDriverName maps a driver name of Options to its database/sql name.
func sqlDriverName(driver string) (string, error) {
	switch driver {
	case "":
		return sqlDriverName(DefaultDriver)
	case DriverModernc:
		return "sqlite", nil
	case DriverNcruces:
		return "sqlite3", nil
	}
	return "", fmt.Errorf("sqlite: unknown driver %q (want %q or %q)", driver, DriverModernc, DriverNcruces)
}
