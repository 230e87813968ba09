package storetest_test

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
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

// The memory store leases a change's deliveries (the conformance case skips
// a store that does not, so this keeps it from skipping unnoticed).
func TestMemoryLeasesWithChange(t *testing.T) {
	t.Parallel()
	s := memory.New()
	defer s.Close()
	now := time.Now()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	res, err := s.CreatePayment(t.Context(), p, getpaid.CreateOptions{
		Deliver: []getpaid.Subscription{{Consumer: "listener:shop"}},
		Lease:   &getpaid.DeliveryLease{Owner: "a", Now: now, Until: now.Add(time.Minute)},
	})
	if err != nil || len(res.Leased) != 1 {
		t.Fatalf("CreatePayment: %d leased, %v; want its one delivery", len(res.Leased), err)
	}
}
