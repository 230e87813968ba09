package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestFinishDeliveriesAppliesRecord checks that FinishDeliveries, which
// writes a result without reading the delivery first, writes what
// getpaid.DeliveryResult.Record makes of the stored delivery (memory and
// PostgreSQL apply Record to the delivery they read), also for a delivery
// replayed after it was delivered and a result without an attempt time.
func TestFinishDeliveriesAppliesRecord(t *testing.T) {
	t.Parallel()
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	for _, tc := range []struct {
		name     string
		replayed bool // delivered once, then replayed (pending again, delivered_at kept)
		res      getpaid.DeliveryResult
	}{
		{"retry", false, getpaid.DeliveryResult{NextAt: later, Attempt: getpaid.Attempt{At: at, Status: 500, Error: "boom"}}},
		{"delivered", false, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{At: at, Status: 200}}},
		{"dead", false, getpaid.DeliveryResult{Dead: true, Attempt: getpaid.Attempt{At: at, Error: "gone"}}},
		{"delivered again after replay", true, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{At: at, Status: 200}}},
		{"delivered without Attempt.At after replay", true, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{Status: 200}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t, filepath.Join(t.TempDir(), "g.db"), sqlite.Options{})
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("10.00", "PLN")}
			res, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: []getpaid.Subscription{{Consumer: "c"}}})
			if err != nil {
				t.Fatal(err)
			}
			id := res.Deliveries[0].ID
			claim := func() {
				t.Helper()
				got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "w", Now: time.Now(), Lease: time.Minute, Consumers: []string{"c"}})
				if err != nil || len(got) != 1 {
					t.Fatalf("claim: %v, %d claimed", err, len(got))
				}
			}
			if tc.replayed {
				claim()
				first := getpaid.DeliveryResult{ID: id, Owner: "w", Delivered: true, Attempt: getpaid.Attempt{At: at.Add(-time.Hour), Status: 200}}
				if err := s.FinishDeliveries(ctx, []getpaid.DeliveryResult{first}); err != nil {
					t.Fatal(err)
				}
				if n, err := s.ReplayDeliveries(ctx, getpaid.ReplayRequest{EventID: res.Events[0].ID, Now: time.Now()}); err != nil || n != 1 {
					t.Fatalf("replay: %d, %v", n, err)
				}
			}
			claim()
			before := delivery(t, s, id)
			r := tc.res
			r.ID, r.Owner = id, "w"
			want := *before
			r.Record(&want, time.Now())
			if err := s.FinishDeliveries(ctx, []getpaid.DeliveryResult{r}); err != nil {
				t.Fatal(err)
			}
			got := delivery(t, s, id)
			if got.State != want.State || got.Attempts != want.Attempts || !got.NextAt.Equal(want.NextAt) ||
				!got.DeliveredAt.Equal(want.DeliveredAt) || got.LastStatus != want.LastStatus || got.LastError != want.LastError {
				t.Errorf("after FinishDeliveries:\n got state %s attempts %d next %v delivered %v\nwant state %s attempts %d next %v delivered %v (Record applied to the stored delivery)",
					got.State, got.Attempts, got.NextAt, got.DeliveredAt, want.State, want.Attempts, want.NextAt, want.DeliveredAt)
			}
		})
	}
}

// delivery reads delivery id through the listing.
func delivery(t *testing.T, s *sqlite.Store, id string) *getpaid.Delivery {
	t.Helper()
	page, err := s.Deliveries(context.Background(), getpaid.DeliveryFilter{Consumer: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range page.Deliveries {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("delivery %s not listed", id)
	return nil
}
