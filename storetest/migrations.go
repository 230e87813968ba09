package storetest

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// migrationTests check a MigratingDB's schema handling: migrations apply on
// an empty database and once only, a handle refuses a schema that is behind
// (when told not to migrate) or ahead of what it knows.
var migrationTests = []test{
	{"UpOnEmpty", nil, testMigrateEmpty},
	{"UpAgainNoOp", nil, testMigrateAgain},
	{"OutdatedRefused", nil, testMigrateOutdated},
	{"NewerRefused", nil, testMigrateNewer},
	{"ConcurrentOpens", nil, testMigrateConcurrent},
}

// migrating returns db as a MigratingDB, or skips the test.
func migrating(t *testing.T, db DB) MigratingDB {
	t.Helper()
	m, ok := db.(MigratingDB)
	if !ok {
		t.Skip("store has no migrations (the DB is not a MigratingDB)")
	}
	return m
}

// testMigrateEmpty migrates an empty database; a handle that does not
// migrate then opens it and works.
func testMigrateEmpty(t *testing.T, db DB) {
	m := migrating(t, db)
	applied, err := m.Migrate(ctx(t), 0)
	if err != nil || len(applied) == 0 {
		t.Fatalf("Migrate on an empty database = %v, %v; want every migration", applied, err)
	}
	for i := 1; i < len(applied); i++ {
		if applied[i] <= applied[i-1] {
			t.Errorf("migrations applied out of order: %v", applied)
		}
	}
	s, err := m.OpenStore(ctx(t), true)
	if err != nil {
		t.Fatalf("OpenStore(noMigrate) after Migrate: %v", err)
	}
	defer s.Close()
	mustCreate(t, s, newPayment("o-mig", 100, "PLN"), getpaid.CreateOptions{})
}

// testMigrateAgain runs the migrations twice, and once more after a handle
// migrated on open: the later runs apply nothing and keep the data.
func testMigrateAgain(t *testing.T, db DB) {
	m := migrating(t, db)
	s := db.Open(t) // migrates
	p := newPayment("o-mig-again", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	for i := range 2 {
		if applied, err := m.Migrate(ctx(t), 0); err != nil || len(applied) != 0 {
			t.Fatalf("Migrate #%d on a migrated database = %v, %v; want nothing applied", i+1, applied, err)
		}
	}
	if got := mustGet(t, db.Open(t), p.ID); got.OrderID != p.OrderID {
		t.Errorf("after migrating again: %+v", got)
	}
}

// testMigrateOutdated refuses, without migrating, a database that is empty
// or behind: getpaid.ErrSchemaOutdated. A handle that migrates on open then
// brings it up to date.
func testMigrateOutdated(t *testing.T, db DB) {
	m := migrating(t, db)
	refused := func(what string) {
		t.Helper()
		s, err := m.OpenStore(ctx(t), true)
		if s != nil {
			s.Close()
		}
		if !errors.Is(err, getpaid.ErrSchemaOutdated) {
			t.Fatalf("OpenStore(noMigrate) on %s: %v, want ErrSchemaOutdated", what, err)
		}
	}
	refused("an empty database")
	applied, err := m.Migrate(ctx(t), 1)
	if err != nil || len(applied) != 1 || applied[0] != 1 {
		t.Fatalf("Migrate up to 1 = %v, %v; want [1]", applied, err)
	}
	switch s, err := m.OpenStore(ctx(t), true); {
	case err == nil:
		s.Close()
		// Right only when 1 is the store's last migration.
		if rest, err := m.Migrate(ctx(t), 0); err != nil || len(rest) != 0 {
			t.Fatalf("OpenStore(noMigrate) accepted a database behind (left to apply: %v, %v)", rest, err)
		}
	case !errors.Is(err, getpaid.ErrSchemaOutdated):
		t.Fatalf("OpenStore(noMigrate) on a database behind: %v, want ErrSchemaOutdated", err)
	}
	s, err := m.OpenStore(ctx(t), false)
	if err != nil {
		t.Fatalf("OpenStore on a database at version 1: %v", err)
	}
	defer s.Close()
	mustCreate(t, s, newPayment("o-mig-old", 100, "PLN"), getpaid.CreateOptions{})
}

// testMigrateNewer refuses a database migrated by a newer getpaid, whether
// opening, opening without migrating, or migrating: getpaid.ErrSchemaNewer.
func testMigrateNewer(t *testing.T, db DB) {
	m := migrating(t, db)
	if _, err := m.Migrate(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	if err := m.SetNewer(ctx(t)); err != nil {
		t.Fatalf("SetNewer: %v", err)
	}
	for _, noMigrate := range []bool{false, true} {
		if s, err := m.OpenStore(ctx(t), noMigrate); !errors.Is(err, getpaid.ErrSchemaNewer) {
			if s != nil {
				s.Close()
			}
			t.Errorf("OpenStore(noMigrate %v) on a newer database: %v, want ErrSchemaNewer", noMigrate, err)
		}
	}
	if _, err := m.Migrate(ctx(t), 0); !errors.Is(err, getpaid.ErrSchemaNewer) {
		t.Errorf("Migrate on a newer database: %v, want ErrSchemaNewer", err)
	}
}

// testMigrateConcurrent opens three migrating handles on an empty database
// at once: the migration lock lets one migrate, and all three work.
func testMigrateConcurrent(t *testing.T, db DB) {
	m := migrating(t, db)
	type opened struct {
		s   getpaid.Store
		err error
	}
	ch := make(chan opened, 3)
	for range 3 {
		go func() {
			s, err := m.OpenStore(ctx(t), false)
			ch <- opened{s, err}
		}()
	}
	for range 3 {
		o := <-ch
		if o.err != nil {
			t.Errorf("concurrent OpenStore: %v", o.err)
			continue
		}
		mustCreate(t, o.s, newPayment("o-mig-conc", 100, "PLN"), getpaid.CreateOptions{})
		o.s.Close()
	}
	if applied, err := m.Migrate(ctx(t), 0); err != nil || len(applied) != 0 {
		t.Errorf("Migrate after the concurrent opens = %v, %v; want nothing left", applied, err)
	}
}
