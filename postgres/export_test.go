package postgres

import (
	"context"
	"time"

	"github.com/getpaid-go/getpaid"
)

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

// OperationsSQL is the statement and arguments of an operation listing of
// f, a page of limit rows, for TestOperationListingsUseIndexes.
func OperationsSQL(f getpaid.OperationFilter, limit int) (string, []any) {
	return pageSQL("operations", operationCols, operationWhere(f), limit)
}

// SweepBatch is how many held marks one claim's sweep changes at most, for
// TestSweepSpreadOverClaims.
const SweepBatch = sweepBatch

// ShortenSweeps sets how long s's sweeps of held deliveries may run, for
// TestClaimOutlivesItsSweep.
func ShortenSweeps(s *Store, d time.Duration) { s.sweepFor = d }
