package postgres_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// A DSN naming a database that does not exist, or a wrong password, is a
// configuration error that says what to do (create the database; check the
// user and password), not pgx's "failed to connect to ...: server error:
// FATAL: ... (SQLSTATE 3D000)" alone. It is getpaid.ErrInvalidRequest, not
// the database away (no retry helps), and never shows the password.
func TestOpenRefusedByTheServerSaysWhatToDo(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(pgtest.DSN(t))
	if err != nil || base.Scheme == "" {
		t.Skip("the test DSN is not a URL")
	}
	user := base.User.Username()
	noDB := *base
	noDB.Path = "/getpaid_no_such_database"
	badPW := *base
	badPW.User = url.UserPassword(user, "not-the-password-4711")
	for _, tc := range []struct {
		name, dsn string
		want      []string
	}{
		{"no such database", noDB.String(), []string{`database "getpaid_no_such_database" does not exist`, `CREATE DATABASE "getpaid_no_such_database"`}},
		{"wrong password", badPW.String(), []string{"password", `user "` + user + `"`, "check the DSN's user and password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for name, open := range map[string]func() error{
				"open": func() error {
					s, err := postgres.Open(t.Context(), tc.dsn, postgres.Options{NoMigrate: true})
					if err == nil {
						s.Close()
					}
					return err
				},
				"migrate": func() error { _, err := postgres.Migrate(t.Context(), tc.dsn); return err },
			} {
				err := open()
				if err == nil {
					t.Fatalf("%s: no error", name)
				}
				msg := err.Error()
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: %q: want it to say %q", name, msg, w)
					}
				}
				if strings.Contains(msg, "not-the-password-4711") {
					t.Errorf("%s: %q shows the password", name, msg)
				}
				if !errors.Is(err, getpaid.ErrInvalidRequest) || errors.Is(err, getpaid.ErrUnavailable) {
					t.Errorf("%s: %v: want a configuration error (getpaid.ErrInvalidRequest), not the database away", name, err)
				}
			}
		})
	}
}
