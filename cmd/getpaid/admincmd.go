package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/sqlite"
)

const adminUsage = `getpaid admin: the operator console's tools

  getpaid admin passwd < password          print the bcrypt hash of the password read on standard input,
                                           for admin.users[].password_hash in getpaid.yaml
  getpaid admin seed --config FILE --count N [--days D]
                                           write N made-up payments into the config's SQLite database
                                           (for benchmarks of the console's listing; never on a real one)
`

func cmdAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, adminUsage)
		return nil
	case "passwd":
		return cmdAdminPasswd(args[1:], stdin, stdout)
	case "seed":
		return cmdAdminSeed(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "getpaid admin: unknown command %q\n\n%s", args[0], adminUsage)
	return &exitError{code: 2}
}

// cmdAdminPasswd reads one line (the password) and prints its hash.
func cmdAdminPasswd(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("admin passwd", "< password", `getpaid admin passwd < pw.txt  (or: read -rs PW; echo "$PW" | getpaid admin passwd)`)
	if err := fs.parse(args); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("admin passwd: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("admin passwd: no password on standard input (try: read -rs PW; echo \"$PW\" | getpaid admin passwd)")
	}
	h, err := admin.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

// seedStatuses is the mix of statuses seeded payments end in.
var seedStatuses = []struct {
	status getpaid.Status
	weight int
}{
	{getpaid.StatusPaid, 60}, {getpaid.StatusFailed, 15}, {getpaid.StatusPrepared, 10},
	{getpaid.StatusPartiallyRefunded, 5}, {getpaid.StatusRefunded, 5}, {getpaid.StatusCancelled, 3}, {getpaid.StatusNew, 2},
}

// cmdAdminSeed writes made-up payments through the store (each with its
// created event, history row and status event, as real ones have), then
// spreads their creation times over the last days.
func cmdAdminSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("admin seed", "--config FILE [--count N] [--days N] [--concurrency N]", "getpaid admin seed --config getpaid.yaml --count 1000000 --days 365")
	path := fs.String("config", "getpaid.yaml", "config file (its database and backends are used)")
	count := fs.Int("count", 1000, "payments to write")
	days := fs.Int("days", 90, "spread the payments' creation over this many days before now (0: all now)")
	workers := fs.Int("concurrency", 64, "concurrent writers")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case *count < 0:
		return fs.usage("--count %d: want 0 or more payments", *count)
	case *days < 0:
		return fs.usage("--days %d: want 0 (all now) or more", *days)
	case *workers < 1:
		return fs.usage("--concurrency %d: want 1 or more writers", *workers)
	}
	c, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(c.Database, "sqlite:") {
		return errors.New("admin seed: the database must be sqlite:PATH")
	}
	reg, err := buildRegistry(c)
	if err != nil {
		return err
	}
	defer reg.Close()
	file := strings.TrimPrefix(c.Database, "sqlite:")
	store, err := sqlite.Open(ctx, file, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer store.Close()
	db, err := sqlite.OpenDB(file, sqlite.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	// Made-up payments mixed into a shop's own (the default config in a
	// server's folder, or a real one given) could not be told apart by
	// anyone but their order ids: only a database of seeded payments, or
	// an empty one, is seeded.
	var real int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments WHERE order_id NOT GLOB 'seed-[0-9]*'").Scan(&real); err != nil {
		return err
	}
	if real > 0 {
		noun := "payments"
		if real == 1 {
			noun = "payment"
		}
		return fmt.Errorf("admin seed: %s (from %s) holds %d %s admin seed did not write: it writes made-up payments for benchmarks, "+
			"so give it a config whose database is a scratch database (database: sqlite:/tmp/seed/getpaid.db)", file, *path, real, noun)
	}
	var first int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM payments").Scan(&first); err != nil {
		return err
	}
	backends := reg.All()
	start := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, *workers)
	for w := range max(*workers, 1) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for {
				i := next.Add(1)
				if i > int64(*count) || ctx.Err() != nil {
					return
				}
				// Numbered after what the database holds: a second run
				// adds to the first.
				if err := seedOne(ctx, store, backends, rng, first+i); err != nil {
					errc <- err
					return
				}
				if n := done.Add(1); n%100000 == 0 {
					fmt.Fprintf(stdout, "%d payments written (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return fmt.Errorf("admin seed: %w", err)
	}
	fmt.Fprintf(stdout, "%d payments written in %s\n", done.Load(), time.Since(start).Round(time.Second))
	if *days > 0 && done.Load() > 0 {
		if err := spreadSeeded(ctx, db, first, *days); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "creation times spread over %d days\n", *days)
	}
	return nil
}

// spreadSeeded spreads the creation times of the payments seeded after seq
// first over the last days: the newest keep their time, older ones step back
// evenly, so the listing's order (by insertion) and creation times agree.
// Only seeded payments move (their order ids are seed-N): a payment a
// running server created meanwhile keeps its time (moved days back, it was
// expired and cancelled while its buyer paid).
func spreadSeeded(ctx context.Context, db *sql.DB, first int64, days int) error {
	var last int64
	if err := db.QueryRowContext(ctx, "SELECT MAX(seq) FROM payments").Scan(&last); err != nil {
		return err
	}
	step := int64(time.Duration(days)*24*time.Hour) / max(last-first, 1)
	now := time.Now().UnixNano()
	// The console's totals, by creation day, follow through the triggers
	// (this connection is not the store's writer).
	if _, err := db.ExecContext(ctx, `UPDATE payments SET created_at = ? - (? - seq) * ?, updated_at = ? - (? - seq) * ?
		WHERE seq > ? AND order_id GLOB 'seed-[0-9]*'`,
		now, last, step, now, last, step, first); err != nil {
		return fmt.Errorf("admin seed: spreading creation times: %w", err)
	}
	return nil
}

// seedOne writes payment i in a status drawn from seedStatuses.
func seedOne(ctx context.Context, store getpaid.Store, backends []getpaid.Backend, rng *rand.Rand, i int64) error {
	b := backends[int(i)%len(backends)]
	curs := getpaid.Currencies(b.Broker)
	cur := curs[rng.IntN(len(curs))]
	amount := getpaid.Money{Minor: 100 + rng.Int64N(100000), Currency: cur}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: fmt.Sprintf("seed-%08d", i), Backend: b.Name, Status: getpaid.StatusNew,
		Amount: amount, Description: fmt.Sprintf("Seeded order %d", i), Buyer: getpaid.Buyer{Email: fmt.Sprintf("buyer%d@example.com", i)}}
	pick := rng.IntN(100)
	to := seedStatuses[0].status
	for _, s := range seedStatuses {
		if pick < s.weight {
			to = s.status
			break
		}
		pick -= s.weight
	}
	// The payment walks the status machine as a real one would (every
	// store refuses a move the transition table forbids): a refunded one
	// is paid first.
	first, refunded := to, int64(0)
	switch to {
	case getpaid.StatusPartiallyRefunded:
		first, refunded = getpaid.StatusPaid, amount.Minor/2
	case getpaid.StatusRefunded:
		first, refunded = getpaid.StatusPaid, amount.Minor
	}
	opts := getpaid.CreateOptions{}
	if to != getpaid.StatusNew {
		ext := "seed-ext-" + p.ID // unique whatever ran before
		opts.Then = &getpaid.Mutation{Cause: "seeded", Apply: func(q *getpaid.Payment) (bool, error) {
			q.Status, q.ExternalID = first, ext
			if first == getpaid.StatusPaid {
				q.Captured = q.Amount.Minor
			}
			return true, nil
		}}
	}
	if _, err := store.CreatePayment(ctx, p, opts); err != nil || refunded == 0 {
		return err
	}
	_, err := store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "seeded refund", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Status, q.Refunded = to, refunded
		return true, nil
	}})
	return err
}
