package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// A batch whose COMMIT fails (here a deferred constraint; on a real disk
// SQLITE_FULL or an I/O error writing the WAL) is rolled back whole. A job
// refused because of what an earlier job of that same batch wrote (the
// second delivery of one notification: "duplicate event") must not keep
// that refusal: the engine acknowledges a duplicate to the broker, which
// then never sends the notification again, though nothing was recorded.
func TestDuplicateOfRolledBackBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-dup", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN")}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		if _, err := tx.execSQL("CREATE TABLE boom_parent (id INTEGER PRIMARY KEY)"); err != nil {
			return nil, err
		}
		return tx.execSQL("CREATE TABLE boom_child (pid INTEGER REFERENCES boom_parent(id) DEFERRABLE INITIALLY DEFERRED)")
	}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	go func() { _, _ = s.w.do(ctx, func(*wtx) (any, error) { <-release; return nil, nil }) }()
	waitQueued := func(n int) {
		for len(s.w.queue) < n {
			time.Sleep(time.Millisecond)
		}
	}
	for len(s.w.queue) > 0 { // the writer took the blocking job
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	apply := getpaid.Mutation{EventKey: "ev-1", Cause: "notification", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Description = "paid, say"
		return true, nil
	}}
	errs := make([]chan error, 2)
	for i := range errs {
		errs[i] = make(chan error, 1)
		go func() { _, err := s.UpdatePayment(ctx, p.ID, apply); errs[i] <- err }()
		waitQueued(i + 1)
	}
	boom := make(chan error, 1)
	go func() {
		_, err := s.w.do(ctx, func(tx *wtx) (any, error) { return tx.execSQL("INSERT INTO boom_child VALUES (42)") })
		boom <- err
	}()
	waitQueued(3)
	close(release)
	first, second, berr := <-errs[0], <-errs[1], <-boom
	t.Logf("first: %v; second: %v; boom: %v", first, second, berr)
	if berr == nil {
		t.Fatal("the batch committed: no failed COMMIT to look at")
	}
	got, err := s.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description == "paid, say" {
		t.Fatal("the notification was recorded")
	}
	if errors.Is(second, getpaid.ErrDuplicateEvent) || errors.Is(first, getpaid.ErrDuplicateEvent) {
		t.Errorf("a delivery was told duplicate (acknowledged to the broker) though the batch was rolled back and nothing recorded: first %v, second %v", first, second)
	}
}
