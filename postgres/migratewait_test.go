package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// TestMigrateDoesNotQueueTheServersBehindALongTransaction: an upgrade's
// migration that alters a table another session reads in a long
// transaction (pg_dump, a report, a psql session left open) waits for that
// lock, and while it waits every statement of the running servers on the
// table queues behind it: reads and writes of payments stopped (503 after
// the store's timeout) for as long as the backup ran. The migration gives
// up on the lock instead, says why, and succeeds once the transaction ends.
func TestMigrateDoesNotQueueTheServersBehindALongTransaction(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	if _, err := postgres.MigrateTo(t.Context(), dsn, 6); err != nil {
		t.Fatal(err)
	}
	holder, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "SELECT count(*) FROM payments"); err != nil {
		t.Fatal(err)
	}
	migrated := make(chan error, 1)
	go func() {
		_, err := postgres.Migrate(context.Background(), dsn)
		migrated <- err
	}()
	server, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(context.Background())
	// Wait until the migration waits for its lock on payments.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting bool
		if err := server.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'payments' AND c.relnamespace = current_schema()::regnamespace AND NOT l.granted)`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-migrated:
			t.Fatalf("the migration ended (%v) without waiting for the lock", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration never waited for its lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A server reads a payment, as every request does, within the store's
	// timeout.
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var n int
	if err := server.QueryRow(ctx, "SELECT count(*) FROM payments WHERE id = 'pay_x'").Scan(&n); err != nil {
		t.Fatalf("a server's read while the migration waited: %v", err)
	}
	err = <-migrated
	if !errors.Is(err, getpaid.ErrUnavailable) || !strings.Contains(err.Error(), "run getpaid migrate again") {
		t.Fatalf("migration behind a long transaction: %v; want ErrUnavailable saying to run it again", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if applied, err := postgres.Migrate(t.Context(), dsn); err != nil || !slices.Equal(applied, []int64{7, 8, 9}) {
		t.Fatalf("migration once the transaction ended: %v, %v; want 7, 8 and 9 applied", applied, err)
	}
}

// TestEveryMigrationBoundsItsLockWait: each migration file's first statement
// is the SET LOCAL lock_timeout that TestMigrateDoesNotQueueTheServersBehindALongTransaction
// relies on, so a new migration cannot leave it out. A file goose runs
// outside a transaction (-- +goose NO TRANSACTION, for CREATE INDEX
// CONCURRENTLY) sets it in each transaction it begins and DO block it
// runs; its other statements are concurrent index builds, whose lock
// (SHARE UPDATE EXCLUSIVE) none of the servers' statements waits for.
func TestEveryMigrationBoundsItsLockWait(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range unboundedLockWaits(string(b)) {
			t.Errorf("%s: %s", f, e)
		}
	}
}

// TestLockWaitRuleSeesEveryFileGooseRunsWithoutATransaction: goose runs a
// file outside a transaction when "-- +goose NO TRANSACTION" is on any of
// its lines, in any case, after "-- +goose Up" too, and in a file with
// CRLF line ends; the rule saw only that exact line first, LF-ended, and
// took the others for transactional files, whose first statement, the SET
// LOCAL, outside a transaction sets nothing (PostgreSQL only warns): their
// ALTER TABLE waited unbounded, the servers' statements queued behind it,
// and the rule passed. A DO block's SET LOCAL after a statement that locks
// bounded nothing of that statement, and passed too.
func TestLockWaitRuleSeesEveryFileGooseRunsWithoutATransaction(t *testing.T) {
	t.Parallel()
	const alter = "ALTER TABLE deliveries ADD COLUMN x int;\n"
	for _, c := range []struct {
		name, file string
		ok         bool
	}{
		{"transactional", "-- +goose Up\nSET LOCAL lock_timeout = '5s';\n" + alter, true},
		{"no transaction first", "-- +goose NO TRANSACTION\n-- +goose Up\nBEGIN;\nSET LOCAL lock_timeout = '5s';\n" + alter + "COMMIT;\n", true},
		{"no transaction after up", "-- +goose Up\n-- +goose NO TRANSACTION\nSET LOCAL lock_timeout = '5s';\n" + alter, false},
		{"no transaction in lower case", "-- +goose no transaction\n-- +goose Up\nSET LOCAL lock_timeout = '5s';\n" + alter, false},
		{"no transaction, CRLF", strings.ReplaceAll("-- +goose NO TRANSACTION\n-- +goose Up\nSET LOCAL lock_timeout = '5s';\n"+alter, "\n", "\r\n"), false},
		{"DO block bounded first", "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nDO $$\nBEGIN\n\tIF true THEN\n\t\tSET LOCAL lock_timeout = '5s';\n\t\tDROP INDEX i;\n\tEND IF;\nEND\n$$;\n-- +goose StatementEnd\n", true},
		{"DO block bounded after its lock", "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nDO $$\nBEGIN\n\tDROP INDEX i;\n\tSET LOCAL lock_timeout = '5s';\nEND\n$$;\n-- +goose StatementEnd\n", false},
	} {
		if got := unboundedLockWaits(c.file); (len(got) == 0) != c.ok {
			t.Errorf("%s: %q, want bounded %v", c.name, got, c.ok)
		}
	}
}

// unboundedLockWaits says what of a migration file waits for a lock
// without the bound.
func unboundedLockWaits(file string) []string {
	const bound = "SET LOCAL lock_timeout = '5s';"
	stmts := statements(file)
	if !noTransaction(file) {
		if stmts[0] != bound {
			return []string{fmt.Sprintf("first statement %q, want %s", stmts[0], bound)}
		}
		return nil
	}
	var out []string
	for i := 0; i < len(stmts); i++ {
		switch st := stmts[i]; {
		case st == "BEGIN;":
			if i+1 >= len(stmts) || stmts[i+1] != bound {
				out = append(out, "BEGIN not followed by "+bound)
			}
			for i < len(stmts) && stmts[i] != "COMMIT;" {
				i++
			}
		case strings.HasPrefix(st, "DO "):
			// Nothing before it in the block but the start of an IF.
			if before, _, ok := strings.Cut(st, bound); !ok || strings.Contains(before, ";") {
				out = append(out, fmt.Sprintf("DO block without %s before its first statement: %q", bound, st))
			}
		case !strings.HasPrefix(st, "CREATE INDEX CONCURRENTLY "):
			out = append(out, fmt.Sprintf("%q outside a transaction and unbounded", st))
		}
	}
	return out
}

// noTransaction reports whether goose runs file outside a transaction: a
// line "-- +goose NO TRANSACTION" anywhere, read as goose's parser reads it.
func noTransaction(file string) bool {
	for line := range strings.Lines(file) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") || !strings.Contains(line, "+goose") {
			continue
		}
		cmd := strings.Replace(strings.ReplaceAll(line, "--", ""), "+goose", "", 1)
		if strings.EqualFold(strings.TrimSpace(cmd), "NO TRANSACTION") {
			return true
		}
	}
	return false
}

// statements are the statements of a migration file, without comments,
// each on one line (those between goose's StatementBegin and StatementEnd
// as one); one empty statement for a file of none.
func statements(file string) []string {
	var out []string
	var cur []string
	block := false
	for line := range strings.Lines(file) {
		line = strings.TrimSpace(line)
		switch {
		case line == "-- +goose StatementBegin":
			block = true
			continue
		case line == "-- +goose StatementEnd":
			block = false
		case line == "" || strings.HasPrefix(line, "--"):
			continue
		default:
			cur = append(cur, line)
		}
		if !block && len(cur) > 0 && strings.HasSuffix(cur[len(cur)-1], ";") {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}
