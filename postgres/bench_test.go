package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// BenchmarkLifecycle runs whole payment lifecycles from about 32 goroutines
// on one store: create already prepared (one commit), read, capture under an
// event key (one commit), read by external id. One op is one lifecycle:
//
//	GETPAID_TEST_POSTGRES_DSN=$(scripts/postgres.sh) go test -run '^$' -bench Lifecycle ./postgres/
func BenchmarkLifecycle(b *testing.B) {
	s, err := postgres.Open(context.Background(), pgtest.Schema(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := lifecycle(ctx, s); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
}

// lifecycle is one payment from creation to paid, as the engine stores it.
func lifecycle(ctx context.Context, s getpaid.Store) error {
	p := &getpaid.Payment{
		ID: getpaid.NewID("pay"), OrderID: getpaid.NewID("ord"), Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("123.45", "PLN"),
		Description: "bench", Buyer: getpaid.Buyer{Email: "b@example.com", Language: "pl"},
		ReturnURL: "https://shop.example/o", ClientIP: "203.0.113.1",
	}
	ext := "ext_" + p.ID
	prepared := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		r := &getpaid.Redirect{Method: "POST", URL: "https://broker.example/pay", Fields: map[string]string{"sig": "x"}}
		return true, getpaid.MarkPrepared(q, ext, r)
	}}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{OneLivePerOrder: true, Then: prepared}); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if _, err := s.Payment(ctx, p.ID); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	o := &getpaid.Observation{ExternalID: ext, EventID: "e_" + p.ID, Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
	res, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "dummy:" + o.EventID, Cause: o.Cause(),
		Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, o) }})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if res.Payment.Status != getpaid.StatusPaid {
		return fmt.Errorf("capture: status %s", res.Payment.Status)
	}
	if _, err := s.PaymentByExternalID(ctx, "dummy", ext); err != nil {
		return fmt.Errorf("by external id: %w", err)
	}
	return nil
}
