package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A closed store is not ready: every other call after Close answers
// "unavailable: store is closed", and Ready (engine.Ready, /readyz) said
// ready, as it opens a connection of its own to the file to look.
func TestClosedStoreIsNotReady(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("Ready after Close: %v, want ErrUnavailable", err)
	}
}
