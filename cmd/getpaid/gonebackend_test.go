package main

import (
	"context"
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
// backend and what to do; payments that ended say nothing.
func TestServeWarnsOfPaymentsOfABackendNotEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		backend string
		status  getpaid.Status
		warned  bool
	}{
		{"waiting on a renamed backend", "payu", getpaid.StatusPrepared, true},
		{"held on a removed backend", "gone-broker", getpaid.StatusPreAuth, true},
		{"a refund under way", "gone-broker", getpaid.StatusRefundStarted, true},
		{"ended", "gone-broker", getpaid.StatusFailed, false},
		{"of a backend enabled", "dummy", getpaid.StatusPrepared, false},
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
