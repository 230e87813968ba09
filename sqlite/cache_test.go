package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
	"github.com/getpaid-go/getpaid/storetest"
)

// The suite also passes with the read cache off: the database path stays
// covered on its own.
func TestConformanceNoCache(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) getpaid.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "nc.db"), sqlite.Options{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestCacheMatchesDatabase drives concurrent creates, starts, captures,
// refunds and repeats through a caching store, then compares every payment
// and history it serves with what a second, uncached store reads from the
// same file.
func TestCacheMatchesDatabase(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1000, 8} { // 8: evictions happen
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			cacheMatchesDatabase(t, size)
		})
	}
}

func cacheMatchesDatabase(t *testing.T, size int) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	cached, err := sqlite.Open(ctx, path, sqlite.Options{CacheSize: size})
	if err != nil {
		t.Fatal(err)
	}
	defer cached.Close()
	var wg sync.WaitGroup
	ids := make([]string, 24)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew,
				Amount: getpaid.Money{Minor: 1000, Currency: "PLN"}}
			opts := getpaid.CreateOptions{}
			if i%2 == 0 {
				opts.Then = &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
					return true, getpaid.MarkPrepared(q, "ext-"+q.ID, &getpaid.Redirect{Method: "GET", URL: "https://b.example/" + q.ID})
				}}
			}
			if err := cached.CreatePayment(ctx, p, opts); err != nil {
				t.Error(err)
				return
			}
			ids[i] = p.ID
			steps := []getpaid.Observation{
				{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, EventID: "paid"},
				{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, EventID: "paid"}, // a repeat
				{Kind: getpaid.KindRefunded, Amount: getpaid.Money{Minor: 300, Currency: "PLN"}, EventID: "r1"},
			}
			for _, o := range steps[:i%4] {
				_, err := cached.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: p.ID + o.EventID, Cause: o.Cause(),
					Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, &o) }})
				if err != nil && o.EventID != "paid" {
					t.Error(err)
				}
			}
			_, _ = cached.History(ctx, p.ID) // fills the cache after evictions
		}(i)
	}
	wg.Wait()
	plain, err := sqlite.Open(ctx, path, sqlite.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	opts := cmp.Options{cmp.Comparer(func(a, b interface{ UnixNano() int64 }) bool { return a.UnixNano() == b.UnixNano() })}
	for _, id := range ids {
		for _, s := range []*sqlite.Store{cached, cached} { // twice: a miss fills, a hit serves
			p1, err1 := s.Payment(ctx, id)
			p2, err2 := plain.Payment(ctx, id)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if diff := cmp.Diff(p2, p1, opts); diff != "" {
				t.Errorf("payment %s: cached differs from database (-db +cached):\n%s", id, diff)
			}
			h1, _ := s.History(ctx, id)
			h2, _ := plain.History(ctx, id)
			if diff := cmp.Diff(h2, h1, opts); diff != "" {
				t.Errorf("history %s: cached differs from database (-db +cached):\n%s", id, diff)
			}
		}
	}
}
