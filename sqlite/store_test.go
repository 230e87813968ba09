package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
	"github.com/getpaid-go/getpaid/storetest"
)

var drivers = []string{sqlite.DefaultDriver}

// openTemp opens a store on a new file in t's temp dir.
func openTemp(t testing.TB, driver string) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Driver: driver})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestConformance(t *testing.T) {
	for _, d := range drivers {
		// Without the read cache too: with it a handle reads back what it
		// wrote from memory, which would hide a field never written to the
		// file from every case read on the writing handle.
		for _, noCache := range []bool{false, true} {
			name := d
			if noCache {
				name += "/nocache"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				storetest.Run(t, func(t *testing.T) storetest.DB {
					return &fileDB{path: filepath.Join(t.TempDir(), "getpaid.db"), opts: sqlite.Options{Driver: d, NoCache: noCache}}
				})
			})
		}
	}
}

// fileDB is one SQLite file for the conformance suite: every handle is a
// Store of its own on the file, as another process would open it.
type fileDB struct {
	path string
	opts sqlite.Options
}

func (d *fileDB) Open(t *testing.T) getpaid.Store {
	t.Helper()
	s, err := d.OpenStore(t.Context(), false)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (d *fileDB) OpenStore(ctx context.Context, noMigrate bool) (getpaid.Store, error) {
	opts := d.opts
	opts.NoMigrate = noMigrate
	s, err := sqlite.Open(ctx, d.path, opts)
	if err != nil {
		return nil, err // not a typed nil
	}
	return s, nil
}

func (d *fileDB) Migrate(ctx context.Context, version int64) ([]int64, error) {
	return sqlite.MigrateTo(ctx, d.path, d.opts, version)
}

// SetNewer records version 9999 as goose would after applying it.
func (d *fileDB) SetNewer(ctx context.Context) error {
	db, err := sqlite.OpenDB(d.path, d.opts)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)")
	return err
}

func TestReopen(t *testing.T) {
	t.Parallel()
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "getpaid.db")
			s, err := sqlite.Open(ctx, path, sqlite.Options{Driver: d})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "dummy",
				Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.005", "KWD")}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err == nil {
				t.Error("CreatePayment after Close succeeded")
			}
			// Migrations are recorded: running them again applies nothing.
			applied, err := sqlite.Migrate(ctx, path, sqlite.Options{Driver: d})
			if err != nil || len(applied) != 0 {
				t.Errorf("Migrate on a migrated db = %v, %v; want none", applied, err)
			}
			s, err = sqlite.Open(ctx, path, sqlite.Options{Driver: d, NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Payment(ctx, p.ID)
			if err != nil || got.Amount != p.Amount {
				t.Errorf("after reopen: %+v, %v", got, err)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	_, err := sqlite.Open(ctx, path, sqlite.Options{NoMigrate: true})
	if !errors.Is(err, getpaid.ErrSchemaOutdated) {
		t.Fatalf("Open(NoMigrate) on an empty db: %v, want ErrSchemaOutdated", err)
	}
	applied, err := sqlite.Migrate(ctx, path, sqlite.Options{})
	if err != nil || len(applied) != 14 || applied[0] != 1 || applied[13] != 14 {
		t.Fatalf("Migrate = %v, %v; want [1 2 3 4 5 6 7 8 9 10 11 12 13 14]", applied, err)
	}
	if again, err := sqlite.Migrate(ctx, path, sqlite.Options{}); err != nil || len(again) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing to do", again, err)
	}
	s, err := sqlite.Open(ctx, path, sqlite.Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("Open after Migrate: %v", err)
	}
	_ = s.Close()
}

func TestSynchronousOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := sqlite.Open(context.Background(), filepath.Join(dir, "x.db"), sqlite.Options{Synchronous: "OFF"})
	if err == nil {
		t.Error("Open with synchronous OFF succeeded")
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "y.db"), sqlite.Options{Synchronous: "normal"})
	if err != nil {
		t.Fatalf("Open with synchronous normal: %v", err)
	}
	_ = s.Close()
}

func TestUnknownDriver(t *testing.T) {
	t.Parallel()
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Driver: "cgo"})
	if err == nil {
		t.Fatal("Open with an unknown driver succeeded")
	}
}

// TestDSNSettings checks that every pooled connection gets the settings from
// the DSN, not only the first one.
func TestDSNSettings(t *testing.T) {
	t.Parallel()
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "getpaid.db")
			db, err := sqlite.OpenDB(path, sqlite.Options{Driver: d})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var conns []interface{ Close() error }
			defer func() {
				for _, c := range conns {
					_ = c.Close()
				}
			}()
			for i := range 3 {
				c, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				for _, q := range []struct{ pragma, want string }{
					{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"busy_timeout", "10000"},
				} {
					var got string
					if err := c.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(&got); err != nil || got != q.want {
						t.Errorf("conn %d: PRAGMA %s = %q, %v; want %q", i, q.pragma, got, err, q.want)
					}
				}
			}
		})
	}
}
