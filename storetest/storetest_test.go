package storetest_test

import (
	"testing"

	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.DB {
		s := memory.New()
		t.Cleanup(func() { _ = s.Close() })
		return storetest.SharedDB{Store: s}
	})
}

// A zero memory.Store (&memory.Store{}, as a Go developer writes it in a
// test of their own shop) is the same empty store as memory.New's: it
// panicked with a nil pointer at the first call (its clock and maps unset),
// in the engine's dispatcher or in the shop's test.
func TestMemoryZeroValue(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.DB {
		s := &memory.Store{}
		t.Cleanup(func() { _ = s.Close() })
		return storetest.SharedDB{Store: s}
	})
}
