package postgres

import "context"

// MigrateTo applies the migrations up to and including version, for the
// conformance suite's migration cases.
func MigrateTo(ctx context.Context, dsn string, version int64) ([]int64, error) {
	return migrateTo(ctx, dsn, version)
}
