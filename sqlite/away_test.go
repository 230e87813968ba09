package sqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestFileAwayCreatesNoOtherFile: while the database file is away (renamed,
// a volume gone for a moment), a connection the store opens then (the
// checkpointer's first, a read connection the pool adds) must not create a
// new database at its path. One did: the checkpointer's first connection
// created an empty file there and copied the WAL's frames into it, as if
// they were in the database; the next write could then start the WAL again
// over frames the real file never got.
func TestFileAwayCreatesNoOtherFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{ReadConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	p := newTestPayment(t, s, "o-away")
	sqlite.SettleCheckpoints(s)
	// Reads enough at once for the pool to open more connections.
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			_, _ = s.Payments(ctx, getpaid.PaymentFilter{OrderID: "o-away"})
		}()
	}
	for range 8 {
		<-done
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("while the file was away a connection created one at its path: %v", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the store looks at its files
	if _, err := s.UpdatePayment(ctx, p.ID, bump); err != nil {
		t.Errorf("a write with the file back: %v", err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready with the file back: %v", err)
	}
}
