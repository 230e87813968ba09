package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// A role that may not create tables in the schema it migrates (PostgreSQL
// 15 no longer lets every role create in public) gets a configuration error
// saying what to grant, or what else to do; it read pgx's "permission denied
// for schema public (SQLSTATE 42501)" alone, and counted as the database
// being away (503, retried). information_schema is a schema no role but
// the superuser may create in.
func TestMigrateWithoutPrivilegeSaysWhatToDo(t *testing.T) {
	t.Parallel()
	dsn := pgtest.With(pgtest.DSN(t), map[string]string{"search_path": "information_schema"})
	_, err := postgres.Migrate(t.Context(), dsn)
	if err == nil {
		t.Fatal("migrate into information_schema succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"may not create", "information_schema", `GRANT CREATE ON SCHEMA "information_schema" TO`, "search_path"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q: want it to say %q", msg, want)
		}
	}
	if !errors.Is(err, getpaid.ErrInvalidRequest) || errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("%v: want a configuration error (getpaid.ErrInvalidRequest), not the database away", err)
	}
}
