// Package pgtest gives tests a PostgreSQL database of their own: a new,
// empty schema in the database GETPAID_TEST_POSTGRES_DSN names (scripts/
// postgres.sh sets one up and prints its DSN), dropped when the test ends.
// Tests that need PostgreSQL skip when the variable is unset, so "go test
// ./..." passes on a machine without it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable naming the test database.
const EnvDSN = "GETPAID_TEST_POSTGRES_DSN"

// DSN returns the test database's DSN, or skips t when EnvDSN is unset.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skip(EnvDSN + " is not set (scripts/postgres.sh prints one)")
	}
	return dsn
}

// Schema creates a new, empty schema in the test database (skipping t when
// there is none) and returns a DSN whose connections work in it and report
// the schema's name as their application_name. The schema and everything in
// it are dropped when t ends, after the cleanups registered later (closing
// the stores opened on it).
func Schema(t testing.TB) string {
	t.Helper()
	base := DSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return With(base, map[string]string{"search_path": name, "application_name": name})
}

// With returns dsn with the given connection parameters set, in either DSN
// form (postgres:// URL or key=value).
func With(dsn string, params map[string]string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			for k, v := range params {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	for k, v := range params {
		dsn += " " + k + "='" + strings.ReplaceAll(v, "'", `\'`) + "'"
	}
	return dsn
}
