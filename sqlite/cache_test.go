package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// paid moves p (prepared) to paid through s.
func payThrough(t *testing.T, s *sqlite.Store, p *getpaid.Payment, key string) {
	t.Helper()
	o := &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, BrokerStatus: "paid"}
	if _, err := s.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{EventKey: key, Cause: o.Cause(),
		Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, o) }}); err != nil {
		t.Fatal(err)
	}
}

func created(t *testing.T, s *sqlite.Store) *getpaid.Payment {
	t.Helper()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-cache", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN")}
	res, err := s.CreatePayment(context.Background(), p, getpaid.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Payment
}

// needCache skips a test of the read cache where it is never on.
func needCache(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the read cache needs Linux's open file description locks")
	}
}

func open(t *testing.T, path string, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The read cache answers only while its Store is the one getpaid using the
// file: a second Store, opened after or before it, in this process or
// another, turns it off, and reads see what the other one wrote.
func TestReadCacheOnlyWhenAlone(t *testing.T) {
	t.Parallel()
	needCache(t)
	ctx := context.Background()
	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		a := open(t, filepath.Join(t.TempDir(), "g.db"), sqlite.Options{})
		p := created(t, a)
		payThrough(t, a, p, "e1")
		got, err := a.Payment(ctx, p.ID)
		if err != nil || got.Status != getpaid.StatusPaid || !sqlite.Cached(a) {
			t.Fatalf("read after own write: %v, %v, cached %v", got, err, sqlite.Cached(a))
		}
		h, err := a.History(ctx, p.ID)
		if err != nil || len(h) != 1 || h[0].To != getpaid.StatusPaid {
			t.Fatalf("history %+v, %v", h, err)
		}
	})
	t.Run("another opens later", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.db")
		a := open(t, path, sqlite.Options{})
		p := created(t, a)
		if _, err := a.Payment(ctx, p.ID); err != nil || !sqlite.Cached(a) {
			t.Fatalf("alone, not cached: %v", err)
		}
		b := open(t, path, sqlite.Options{})
		payThrough(t, b, p, "e1")
		got, err := a.Payment(ctx, p.ID)
		if err != nil || got.Status != getpaid.StatusPaid {
			t.Fatalf("A reads %v, %v after B paid it; want paid", got, err)
		}
		if sqlite.Cached(a) || sqlite.Cached(b) {
			t.Fatal("a cache stays on with two stores on one file")
		}
		_ = b.Close()
		if sqlite.Cached(a) {
			t.Fatal("the cache came back at once after the other store closed, before its recheck")
		}
	})
	t.Run("back once the other closed", func(t *testing.T) {
		// A tool (getpaid events list, operations resolve) run beside a
		// server opens the file as a second Store: the server's cache
		// goes off while the tool has the file open, and comes back
		// (empty, so nothing the tool wrote is answered stale) once it
		// has closed it.
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.db")
		a := open(t, path, sqlite.Options{})
		sqlite.SetRecheck(a, time.Millisecond)
		p := created(t, a)
		if _, err := a.Payment(ctx, p.ID); err != nil || !sqlite.Cached(a) {
			t.Fatalf("alone, not cached: %v", err)
		}
		b := open(t, path, sqlite.Options{NoCache: true})
		time.Sleep(5 * time.Millisecond)
		if sqlite.Cached(a) {
			t.Fatal("the cache came back while the other store has the file open")
		}
		payThrough(t, b, p, "e1")
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if !sqlite.Cached(a) {
			t.Fatal("the cache stays off after the other store closed")
		}
		got, err := a.Payment(ctx, p.ID)
		if err != nil || got.Status != getpaid.StatusPaid {
			t.Fatalf("A reads %v, %v after B paid it and closed; want paid", got, err)
		}
		// A's next change starts from what B wrote, and is cached.
		if _, err := a.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "test", Apply: func(q *getpaid.Payment) (bool, error) {
			q.Description = "after"
			return true, nil
		}}); err != nil {
			t.Fatal(err)
		}
		got, err = a.Payment(ctx, p.ID)
		if err != nil || got.Status != getpaid.StatusPaid || got.Description != "after" || got.Version != 3 || !sqlite.Cached(a) {
			t.Fatalf("after A's change: %+v, %v, cached %v; want paid, version 3", got, err, sqlite.Cached(a))
		}
	})
	t.Run("another was open before", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.db")
		b := open(t, path, sqlite.Options{})
		a := open(t, path, sqlite.Options{})
		p := created(t, a)
		if _, err := a.Payment(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		payThrough(t, b, p, "e1")
		if got, err := a.Payment(ctx, p.ID); err != nil || got.Status != getpaid.StatusPaid {
			t.Fatalf("A reads %v, %v after B paid it; want paid", got, err)
		}
		if sqlite.Cached(a) {
			t.Fatal("cache on while another store was already open")
		}
	})
	t.Run("alone again after the other closed", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.db")
		b := open(t, path, sqlite.Options{})
		created(t, b)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		a := open(t, path, sqlite.Options{})
		p := created(t, a)
		if _, err := a.Payment(ctx, p.ID); err != nil || !sqlite.Cached(a) {
			t.Fatalf("cache off (%v) for a store alone on the file since it opened", err)
		}
	})
	t.Run("tools come and go while it reads", func(t *testing.T) {
		// Tools open, write and close the file again and again while
		// the server reads without pause: once a tool has closed, the
		// server reads what it wrote, whether the cache came back
		// between the two or not.
		t.Parallel()
		path := filepath.Join(t.TempDir(), "g.db")
		a := open(t, path, sqlite.Options{})
		sqlite.SetRecheck(a, 0)
		p := created(t, a)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.Payment(ctx, p.ID); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for i := range 20 {
			b := open(t, path, sqlite.Options{NoCache: i%2 == 0})
			want := fmt.Sprint("tool ", i)
			if _, err := b.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "tool", Apply: func(q *getpaid.Payment) (bool, error) {
				q.Description = want
				return true, nil
			}}); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if got, err := a.Payment(ctx, p.ID); err != nil || got.Description != want {
					t.Fatalf("round %d: the server reads %q (%v) after the tool wrote %q and closed", i, got.Description, err, want)
				}
			}
		}
		close(stop)
		<-done
		if !sqlite.Cached(a) {
			t.Error("the cache is off with every tool gone")
		}
	})
	t.Run("an older getpaid watches the marker's size", func(t *testing.T) {
		t.Parallel()
		// Before the counter, each Store appended a byte to the marker
		// and watched its size: one still running when a newer one
		// opens the file must see it grow.
		path := filepath.Join(t.TempDir(), "g.db")
		if err := os.WriteFile(path+"-getpaid", []byte("..."), 0o600); err != nil {
			t.Fatal(err)
		}
		a := open(t, path, sqlite.Options{})
		created(t, a)
		st, err := os.Stat(path + "-getpaid")
		if err != nil || st.Size() <= 3 {
			t.Fatalf("marker %v, %v: did not grow", st, err)
		}
		if !sqlite.Cached(a) {
			t.Fatal("cache off for a store alone on a file an older getpaid used before")
		}
	})
	t.Run("NoCache", func(t *testing.T) {
		t.Parallel()
		a := open(t, filepath.Join(t.TempDir(), "g.db"), sqlite.Options{NoCache: true})
		created(t, a)
		if sqlite.Cached(a) {
			t.Fatal("cache on with NoCache")
		}
	})
}

// A Store opened with NoCache beside a caching one must still turn the
// other's cache off: otherwise the caching Store's writer starts its next
// change from the payment as it cached it and undoes the other's change.
func TestNoCacheStoreTurnsOthersCacheOff(t *testing.T) {
	t.Parallel()
	needCache(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	a := open(t, path, sqlite.Options{})
	p := created(t, a)
	b := open(t, path, sqlite.Options{NoCache: true})
	payThrough(t, b, p, "e1")
	if _, err := a.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "note",
		Apply: func(q *getpaid.Payment) (bool, error) { q.Description = "noted"; return true, nil }}); err != nil {
		t.Fatal(err)
	}
	got, err := b.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != getpaid.StatusPaid {
		t.Fatalf("after B paid it and A changed its description, the payment is %s (version %d): A's writer undid B's payment", got.Status, got.Version)
	}
}

// A Store opened through a symbolic link to the database is on the same
// file as one opened by its real name: SQLite follows the link, and so must
// the syncer (or it flushes another file than the WAL SQLite writes, or
// none, and the Store does not open) and the registration on the file (or
// each Store thinks it is alone and starts its changes from its cache,
// undoing the other's: here a payment marked paid).
func TestSymlinkIsTheSameFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		sync     string
		staleWAL bool // a WAL file left under the link's name
	}{
		{"FULL", "", false},
		{"FULL, stale WAL beside the link", "", true},
		{"NORMAL", "NORMAL", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			real, link := filepath.Join(dir, "getpaid.db"), filepath.Join(dir, "current.db")
			a := open(t, real, sqlite.Options{Synchronous: tc.sync})
			p := created(t, a)
			if err := os.Symlink(real, link); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
			if tc.staleWAL {
				if err := os.WriteFile(link+"-wal", nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			b := open(t, link, sqlite.Options{Synchronous: tc.sync})
			payThrough(t, b, p, "e1")
			if _, err := a.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "note",
				Apply: func(q *getpaid.Payment) (bool, error) { q.Description = "noted"; return true, nil }}); err != nil {
				t.Fatal(err)
			}
			got, err := b.Payment(ctx, p.ID)
			if err != nil || got.Status != getpaid.StatusPaid {
				t.Fatalf("after B (through the link) paid it and A changed it: %v, %v; want paid", got, err)
			}
			if sqlite.Cached(a) || sqlite.Cached(b) {
				t.Error("a cache stays on with two stores on one file")
			}
		})
	}
}

// otherProcessEnv names the database a child of
// TestReadCacheOffForAnotherProcess pays a payment in.
const otherProcessEnv = "GETPAID_SQLITE_OTHER_PROCESS"

// A Store in another process that opens the file and writes turns this
// one's cache off (the marker's counter is shared between processes), and
// this one reads what the other wrote.
func TestReadCacheOffForAnotherProcess(t *testing.T) {
	if v := os.Getenv(otherProcessEnv); v != "" {
		path, id, _ := strings.Cut(v, "|")
		b := open(t, path, sqlite.Options{})
		p, err := b.Payment(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		payThrough(t, b, p, "other-process")
		return
	}
	t.Parallel()
	needCache(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	a := open(t, path, sqlite.Options{})
	p := created(t, a)
	if got, err := a.Payment(ctx, p.ID); err != nil || got.Status != p.Status || !sqlite.Cached(a) {
		t.Fatalf("before: %v, %v, cached %v", got, err, sqlite.Cached(a))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadCacheOffForAnotherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), otherProcessEnv+"="+path+"|"+p.ID)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("other process: %v\n%s", err, out)
	}
	if got, err := a.Payment(ctx, p.ID); err != nil || got.Status != getpaid.StatusPaid {
		t.Fatalf("after the other process paid it: %v, %v; want paid", got, err)
	}
	if sqlite.Cached(a) {
		t.Fatal("cache still on after another process opened the file")
	}
}

// A tool writing a payment beside a lone Store (the sqlite3 shell: the
// marker cannot see it): the Store's next change of that payment starts
// from what the database holds, not from its cached copy, so the tool's
// edit is not undone and the totals stay exact; the cache stays on.
func TestToolEditBesideLoneStore(t *testing.T) {
	t.Parallel()
	needCache(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	s := open(t, path, sqlite.Options{})
	p := created(t, s)
	if _, err := s.Payment(ctx, p.ID); err != nil || !sqlite.Cached(s) {
		t.Fatalf("read: %v, cached %v", err, sqlite.Cached(s))
	}
	tool, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	if _, err := tool.ExecContext(ctx, "UPDATE payments SET status = 'failed', amount = 2500, version = version + 1 WHERE id = ?", p.ID); err != nil {
		t.Fatal(err)
	}
	var saw getpaid.Payment
	if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "note", Apply: func(q *getpaid.Payment) (bool, error) {
		saw = *q
		q.Description = "edited beside a tool"
		return true, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if saw.Status != getpaid.StatusFailed || saw.Amount.Minor != 2500 {
		t.Errorf("the change started from %s %d, want the tool's failed 2500 (not the cached copy)", saw.Status, saw.Amount.Minor)
	}
	var status string
	if err := tool.QueryRowContext(ctx, "SELECT status FROM payments WHERE id = ?", p.ID).Scan(&status); err != nil || status != "failed" {
		t.Errorf("row status %q, %v: the tool's edit was undone", status, err)
	}
	checkRecount(t, tool)
	if !sqlite.Cached(s) {
		t.Error("the cache went off for good; dropping its entries is enough")
	}
}
