package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// An operator reading a delivery's attempts (events show, the console)
// while it is replayed and delivered again sees each attempt once: the
// attempt a delivery delivered at its first attempt keeps on its row, and
// which a replay moves into delivery_attempts, was read twice when the two
// reads fell on either side of the replay.
func TestAttemptsReadBesideReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "g.db"), sqlite.Options{Synchronous: "NORMAL"})
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN")}
	res, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: []getpaid.Subscription{{Consumer: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Events[0].ID
	id := getpaid.DeliveryID(ev, "c")
	start := time.Now().UTC().Truncate(time.Microsecond)
	const rounds = 150
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range rounds {
			now := start.Add(time.Duration(i) * time.Second)
			if i > 0 {
				if _, err := s.ReplayDeliveries(ctx, getpaid.ReplayRequest{EventID: ev, Now: now}); err != nil {
					t.Error(err)
					return
				}
			}
			got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 1, Consumers: []string{"c"}})
			if err != nil || len(got) != 1 {
				t.Errorf("round %d: claimed %d, %v", i, len(got), err)
				return
			}
			if err := s.FinishDeliveries(ctx, []getpaid.DeliveryResult{{ID: id, Owner: "w", Delivered: true,
				Attempt: getpaid.Attempt{At: now, Status: 200, Duration: time.Millisecond}}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		atts, err := s.Attempts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[time.Time]bool{}
		for _, a := range atts {
			if seen[a.At] {
				t.Fatalf("the attempt of %v is listed twice: %+v", a.At, atts)
			}
			seen[a.At] = true
		}
	}
}
