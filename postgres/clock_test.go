package postgres_test

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
)

var _ getpaid.ClockReader = (*postgres.Store)(nil)

// DatabaseClock reads the server's clock as the query runs: on this
// machine the server's clock is this process's, so the time read falls
// between this process's readings before and after (to the microsecond
// PostgreSQL keeps), in UTC.
func TestDatabaseClock(t *testing.T) {
	t.Parallel()
	s, _ := open(t, postgres.Options{})
	for range 3 { // the first on a new connection, then on one in the pool
		before := time.Now()
		at, err := s.DatabaseClock(t.Context())
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if at.Before(before.Truncate(time.Microsecond)) || at.After(after) {
			t.Errorf("database clock %s, not between %s and %s", at, before, after)
		}
		if at.Location() != time.UTC {
			t.Errorf("database clock %s: want UTC", at)
		}
	}
}
