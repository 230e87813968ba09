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
