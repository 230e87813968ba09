package sqlite_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A store opened alone on its file gives back the delivery leases in it:
// their holder is gone (a server SIGKILLed between the commit that leased a
// change's deliveries and their attempt), so they are due at once instead of
// when the lease runs out. One opened beside another user of the file keeps
// them: their holder may be at work.
func TestOpenAloneDropsDeadLeases(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("a store knows it is alone on its file only on Linux")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	consumer := "webhook:https://shop.example/hook"
	claim := func(s *sqlite.Store) int {
		t.Helper()
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "next", Now: time.Now(), Lease: time.Minute, Consumers: []string{consumer}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	first, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "dummy", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	res, err := first.CreatePayment(ctx, p, getpaid.CreateOptions{
		Deliver: []getpaid.Subscription{{Consumer: consumer}},
		Lease:   &getpaid.DeliveryLease{Owner: "gone", Now: now, Until: now.Add(time.Hour)},
	})
	if err != nil || len(res.Leased) != 1 {
		t.Fatalf("CreatePayment: %d leased, %v", len(res.Leased), err)
	}
	// Beside the first store, the lease holds.
	beside, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := claim(beside); n != 0 {
		t.Fatalf("claimed %d deliveries leased by a store still open", n)
	}
	if err := beside.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	alone, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	if n := claim(alone); n != 1 {
		t.Fatalf("claimed %d deliveries after their holder is gone, want the 1 it leased", n)
	}
}
