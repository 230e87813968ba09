package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
)

// A DSN that does not parse says which part is wrong (an operator cannot
// fix "does not parse" alone), and never shows the password, whatever pgx
// quotes; it is a configuration error, not the JSON API's "invalid
// request" (still getpaid.ErrInvalidRequest to errors.Is). Needs no server:
// parsing fails first.
func TestBadDSNSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:s3cret-pw@127.0.0.1/db?sslmode=bogus", "sslmode is invalid"},
		{"postgres://u:s3cret-pw@127.0.0.1/db?pool_max_conns=abc", "pool_max_conns"},
		{"postgres://u:s3cret-pw@127.0.0.1/db?pool_max_conns=0", "pool_max_conns"},
		{"postgres://u:s3cret-pw@127.0.0.1:99999999/db", "invalid port"},
		{"postgres://u:s3cret-pw@[::1/db", ""},
		{"postgres://u:s3cret%zzpw@127.0.0.1/db", "invalid percent-encoded token in password"},
		{"postgres://u:s3cret pw@127.0.0.1/db", "spaces found in password, use percent-encoded spaces (%20)"},
		{"postgres://u:s3cret%00pw@127.0.0.1/db", "%00"},
		// An @ of the password not written %40: pgx, as libpq, ends the
		// password at the first @ and took the rest ("s3cret@127.0.0.1")
		// for the host, which it then quoted, failing to resolve it.
		{"postgres://u:pw@s3cret@127.0.0.1/db", "%40"},
		{"postgres://u@s3cret:pw@127.0.0.1/db", "%40"},
		// A / of the password: pgx read no user part, "u" for the host
		// and the rest for the database's name, which it quoted.
		{"postgres://u:5432/s3cret@127.0.0.1/db", "%2F"},
	} {
		_, err := postgres.Open(t.Context(), tc.dsn, postgres.Options{})
		if err == nil || !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Fatalf("%s: %v, want a configuration error", tc.dsn, err)
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q: want it to say %q and not the password", tc.dsn, msg, tc.want)
		}
		if msg := err.Error(); strings.Contains(msg, "invalid request") || !strings.HasPrefix(msg, "postgres: open: the DSN does not parse") {
			t.Errorf("%s: %q: want \"postgres: open: the DSN does not parse …\", without the API's \"invalid request\"", tc.dsn, msg)
		}
	}
}
