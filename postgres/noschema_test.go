package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// A search_path naming no schema of the database is a configuration error
// that says what to do: it read "invalid request: no schema of the
// search_path exists …", the JSON API's words, to an operator starting a
// server. It is still getpaid.ErrInvalidRequest to errors.Is, as before.
func TestOpenWithoutSchemaSaysWhatToDo(t *testing.T) {
	t.Parallel()
	dsn := pgtest.With(pgtest.DSN(t), map[string]string{"search_path": "getpaid_no_such_schema"})
	for _, tc := range []struct {
		name string
		open func() error
	}{
		{"open", func() error { _, err := postgres.Open(t.Context(), dsn, postgres.Options{}); return err }},
		{"open without migrating", func() error {
			_, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true})
			return err
		}},
		{"migrate", func() error { _, err := postgres.Migrate(t.Context(), dsn); return err }},
	} {
		err := tc.open()
		if err == nil {
			t.Fatalf("%s: no error with a search_path naming no schema", tc.name)
		}
		msg := err.Error()
		if strings.Contains(msg, "invalid request") {
			t.Errorf("%s: %q: an operator reads the API's \"invalid request\"", tc.name, msg)
		}
		for _, want := range []string{"getpaid_no_such_schema", "CREATE SCHEMA", "search_path in the DSN"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q: want it to say %q", tc.name, msg, want)
			}
		}
		if !errors.Is(err, getpaid.ErrInvalidRequest) || errors.Is(err, getpaid.ErrUnavailable) {
			t.Errorf("%s: %v: want a configuration error (getpaid.ErrInvalidRequest), not the database away", tc.name, err)
		}
	}
}
