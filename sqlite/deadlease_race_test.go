package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A Store opening while another opens and leases deliveries never gives
// back the other's leases, however the two opens interleave: only those
// of a Store gone before it (here, one closed with its lease) may go.
func TestOpenBesideAnOpeningStoreKeepsItsLeases(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("a store knows it is alone on its file only on Linux")
	}
	ctx := context.Background()
	consumer := "webhook:https://shop.example/hook"
	lease := func(s *sqlite.Store, owner string) string {
		t.Helper()
		now := time.Now()
		p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
		res, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{
			Deliver: []getpaid.Subscription{{Consumer: consumer}},
			Lease:   &getpaid.DeliveryLease{Owner: owner, Now: now, Until: now.Add(time.Hour)},
		})
		if err != nil || len(res.Leased) != 1 {
			t.Fatalf("CreatePayment: %v", err)
		}
		return res.Leased[0].Delivery.ID
	}
	for i := range 12 {
		path := filepath.Join(t.TempDir(), "getpaid.db")
		gone, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		lease(gone, "gone")
		if err := gone.Close(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var live string
		stores := make([]*sqlite.Store, 3)
		for j := range stores {
			wg.Go(func() {
				s, err := sqlite.Open(ctx, path, sqlite.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				stores[j] = s
				if j == 0 {
					live = lease(s, "live")
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		db, err := sqlite.OpenDB(path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var owner string
		if err := db.QueryRowContext(ctx, "SELECT lease_owner FROM deliveries WHERE id = ?", live).Scan(&owner); err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		_ = db.Close()
		for _, s := range stores {
			_ = s.Close()
		}
		if owner != "live" {
			t.Fatalf("run %d: the live store's lease is held by %q", i, owner)
		}
	}
}
