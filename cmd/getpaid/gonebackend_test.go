package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// Payments of a backend the config no longer enables (removed, or renamed:
// payu to payu-pln) are not finished by anyone: their broker's notifications
// to the old callback URL are answered 404, and they are not polled,
// expired, captured or refunded. serve says so when it starts, naming the
// backend and what to do. A payment that failed or was cancelled within the
// last three days may still be paid at its broker (a buyer paying after it
// expired): its money would be recorded from the late notification, or a
// last look at the broker, so it is counted too; one that ended earlier,
// or was paid, says nothing.
func TestServeWarnsOfPaymentsOfABackendNotEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		backend string
		status  getpaid.Status
		ago     time.Duration // since it last changed
		warned  bool
	}{
		{"waiting on a renamed backend", "payu", getpaid.StatusPrepared, 0, true},
		{"held on a removed backend", "gone-broker", getpaid.StatusPreAuth, 0, true},
		{"a refund under way", "gone-broker", getpaid.StatusRefundStarted, 0, true},
		{"expired an hour ago", "gone-broker", getpaid.StatusCancelled, time.Hour, true},
		{"failed an hour ago", "gone-broker", getpaid.StatusFailed, time.Hour, true},
		{"expired four days ago", "gone-broker", getpaid.StatusCancelled, 96 * time.Hour, false},
		{"failed four days ago", "gone-broker", getpaid.StatusFailed, 96 * time.Hour, false},
		{"paid", "gone-broker", getpaid.StatusPaid, 0, false},
		{"of a backend enabled", "dummy", getpaid.StatusPrepared, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "getpaid.db")
			s, err := sqlite.Open(ctx, db, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: tc.backend, Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("10.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			// The status alone is what is looked at: set it as it stands.
			steps := []getpaid.Status{tc.status}
			if tc.status == getpaid.StatusRefundStarted {
				steps = []getpaid.Status{getpaid.StatusPaid, tc.status}
			}
			for _, st := range steps {
				if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "test", Apply: func(q *getpaid.Payment) (bool, error) {
					q.Status = st
					if st == getpaid.StatusPaid {
						q.Captured = q.Amount.Minor
					}
					return true, nil
				}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.ago > 0 { // the store keeps its own clock: set as if it had changed then
				db, err := sql.Open(sqlite.DefaultDriver, db)
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.Exec(`UPDATE payments SET updated_at = ? WHERE id = ?`, time.Now().Add(-tc.ago).UnixNano(), p.ID)
				if cerr := db.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			ln := listen(t, "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: s\n",
				addr, db, testAPIKey))
			stderr := serveUntilItAnswers(t, addr, path)
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "level=WARN") && strings.Contains(l, "not enabled") {
					line = l
				}
			}
			if !tc.warned {
				if line != "" {
					t.Errorf("warned %q; want nothing", line)
				}
				return
			}
			for _, w := range []string{"backend=" + tc.backend, "/callback/" + tc.backend, "put it back"} {
				if !strings.Contains(line, w) {
					t.Errorf("warning %q does not say %q; stderr:\n%s", line, w, stderr)
				}
			}
		})
	}
}
