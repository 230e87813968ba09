package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "github.com/ncruces/go-sqlite3/driver"
	"github.com/pressly/goose/v3/database"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/migrate"
)

var migrations = fstest.MapFS{
	"001_first.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id INTEGER);\n")},
}

// Check changes nothing, an empty database included: it created goose's
// version table there, so a record tool pointed at the wrong PostgreSQL
// schema (search_path) left a table behind, and a read-only role could not
// even be told what was wrong. An empty database is refused as outdated,
// saying it has no getpaid tables.
func TestCheckChangesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		migrate bool
		want    error
		says    string
	}{
		{"empty", false, getpaid.ErrSchemaOutdated, "no getpaid tables"},
		{"migrated", true, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "g.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c := migrate.Config{Dialect: database.DialectSQLite3, DB: db, FS: migrations}
			if tc.migrate {
				if _, err := migrate.Up(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			tables := func() string {
				var names []string
				rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var n string
					if err := rows.Scan(&n); err != nil {
						t.Fatal(err)
					}
					names = append(names, n)
				}
				return strings.Join(names, ",")
			}
			before := tables()
			err = migrate.Check(ctx, c)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Check: %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Check: %q does not say %q", err, tc.says)
			}
			if after := tables(); after != before {
				t.Errorf("Check changed the tables from [%s] to [%s]", before, after)
			}
		})
	}
}
