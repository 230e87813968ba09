package postgres

import "context"

// MigrateTo applies the migrations up to and including version, for the
// conformance suite's migration cases.
func MigrateTo(ctx context.Context, dsn string, version int64) ([]int64, error) {
	return migrateTo(ctx, dsn, version)
}

// NewConns is how many connections s's pool has opened.
func NewConns(s *Store) int64 { return s.pool.Stat().NewConnsCount() }

// SQLClaim is the claim statement, for TestClaimBacklogTheStatisticsMissed.
const SQLClaim = sqlClaim

// SQLEarlierDeliveries and SQLLockDeliveries are the lookups of pending
// deliveries, for TestPendingLookupsTheStatisticsMissed.
const (
	SQLEarlierDeliveries = sqlEarlierDeliveries
	SQLLockDeliveries    = sqlLockDeliveries
)
