package sqlite

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A read that began while another Store had the file open must not fill
// the cache with what it read, even when its own fill is the look that
// finds the Store alone again: the other Store may have changed the
// payment after the read and closed before the fill (History reads, then
// fills). Before, fill compared the generation first and only then asked
// usable, whose back() moved the generation too late: the stale payment
// was put, and Payment answered it until the writer's next batch.
func TestCacheBackFillsNothingReadBefore(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the read cache needs Linux's open file description locks")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	a, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.Close() }()
	a.w.cache.mu.Lock()
	a.w.cache.recheck = 0 // every look while off asks whether a is alone again
	a.w.cache.mu.Unlock()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-back", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "before"}
	if _, err := a.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, path, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.w.cache.alone() {
		t.Fatal("a is alone with b open")
	}
	// A History of p begins, as History reads: the generation, then the
	// database, while b has the file open.
	gen := a.w.cache.generation()
	hist, err := a.history(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	read, err := scanPayment(a.rs.payment.QueryRowContext(ctx, p.ID))
	if err != nil {
		t.Fatal(err)
	}
	// b changes p and closes before that read fills the cache.
	if _, err := b.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "tool", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Description = "by the tool"
		return true, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	a.w.cache.fill(gen, read, hist)
	got, err := a.Payment(ctx, p.ID)
	if err != nil || got.Description != "by the tool" {
		t.Fatalf("a reads %q (version %d, %v) after b changed it and closed; want %q", got.Description, got.Version, err, "by the tool")
	}
	if !a.w.cache.alone() {
		t.Error("the cache stays off with b closed")
	}
}
