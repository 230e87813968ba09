package main

import (
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// admin seed moves back in time only the payments it wrote: one a running
// server created while it seeded (the README's laptop, one SQLite file)
// keeps its creation time, or the server's expiry, taking it for days old,
// cancelled it while its buyer paid.
func TestSeedSpreadsOnlySeeded(t *testing.T) {
	t.Parallel()
	_, srv := migratedRecords(t, "")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	seed := func(from, to int64) {
		for i := from; i <= to; i++ {
			if err := seedOne(ctx, srv.store, srv.reg.All(), rng, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	seed(1, 3)
	live, err := srv.engine.Create(ctx, getpaid.PayRequest{OrderID: "o-live", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	seed(4, 6)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenDB(strings.TrimPrefix(srv.cfg.Database, "sqlite:"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := spreadSeeded(ctx, db, 0, 30); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT order_id, created_at FROM payments")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	oldest := time.Now()
	for rows.Next() {
		var order string
		var at int64
		if err := rows.Scan(&order, &at); err != nil {
			t.Fatal(err)
		}
		created := time.Unix(0, at)
		if order == live.OrderID {
			if !created.Equal(live.CreatedAt) {
				t.Errorf("the server's payment was moved from %s to %s", live.CreatedAt, created)
			}
			continue
		}
		if created.Before(oldest) {
			oldest = created
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if age := time.Since(oldest); age < 20*24*time.Hour {
		t.Errorf("the oldest seeded payment is %s old, want it spread over the 30 days", age.Round(time.Hour))
	}
}

// admin seed adds to what a database holds: run again (more payments for
// a benchmark), it writes as many again instead of failing on the first
// broker id the earlier run used.
func TestSeedTwice(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		code, out, errOut := runCLI(t, "", "admin", "seed", "--config", path, "--count", "50", "--days", "3")
		if code != 0 || !strings.Contains(out, "50 payments written") {
			t.Fatalf("run %d: code %d\n%s%s", run+1, code, out, errOut)
		}
	}
}

// admin seed writes made-up payments: run with the default config in a
// server's folder (getpaid.yaml), or given a real one, it would mix a
// thousand of them into the shop's payments. A database holding payments
// admin seed did not write is refused, and nothing is written.
func TestSeedRefusesARealDatabase(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	if _, err := srv.engine.Create(context.Background(), getpaid.PayRequest{OrderID: "o-real", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "admin", "seed", "--config", path, "--count", "5")
	if code != 1 || !strings.Contains(errOut, "1 payment") || !strings.Contains(errOut, "scratch database") {
		t.Fatalf("code %d; out %q err %q; want exit status 1 naming the payment it would mix with", code, out, errOut)
	}
	c, err := loadConfig(path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenDB(strings.TrimPrefix(c.Database, "sqlite:"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM payments").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d payments in the database, want the 1 it held", n)
	}
}
