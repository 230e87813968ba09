package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// BenchmarkLifecycle runs whole payment lifecycles from about 32 goroutines:
// create, prepare, read, capture under an event key, read by external id.
// One op is one lifecycle (3 durable writes, 2 reads); cpu-µs/op is the
// process's CPU time per lifecycle:
//
//	go test -run '^$' -bench Lifecycle -benchtime 3s ./sqlite/
//
// "normal" runs with synchronous=NORMAL, to show what waiting for fsync
// costs. driver_compare_test.go (build tag drivercompare) runs the same
// workload on modernc.org/sqlite, the driver this package does not link.
//
// The "webhook" runs give every event a delivery to one consumer, which a
// goroutine claims and records as delivered, 64 at a time as the engine's
// dispatcher does: what deliveries add to the writer's work.
func BenchmarkLifecycle(b *testing.B) {
	for _, v := range []struct {
		name, sync string
		deliver    bool
	}{{"full", "", false}, {"normal", "NORMAL", false}, {"webhook-normal", "NORMAL", true}} {
		b.Run(v.name, func(b *testing.B) { benchLifecycle(b, sqlite.Options{Synchronous: v.sync}, v.deliver) })
	}
}

// benchLifecycle runs lifecycles on a new store opened with opts, with
// deliveries to one consumer if deliver.
func benchLifecycle(b *testing.B, opts sqlite.Options, deliver bool) {
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var subs []getpaid.Subscription
	stop, stopped := make(chan struct{}), make(chan struct{})
	if deliver {
		subs = []getpaid.Subscription{{Consumer: "webhook:https://shop.example/hook"}}
		go func() {
			defer close(stopped)
			deliverAll(b, s, subs[0].Consumer, stop)
		}()
	} else {
		close(stopped)
	}
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := lifecycle(ctx, s, subs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	close(stop)
	<-stopped
	cpu1, _ := processCPU()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
	if cpuOK {
		// The whole process's CPU, the benchmark's goroutines included, as
		// getpaid bench and the outside measurement count a server's.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// deliverAll claims consumer's deliveries, 64 at a time, and records each as
// delivered, until stop is closed.
func deliverAll(b *testing.B, s getpaid.Store, consumer string, stop <-chan struct{}) {
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		default:
		}
		now := time.Now()
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 64,
			Consumers: []string{consumer}})
		if err != nil {
			b.Error(err)
			return
		}
		if len(got) == 0 {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		res := make([]getpaid.DeliveryResult, 0, len(got))
		for _, c := range got {
			res = append(res, getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: "w", Delivered: true,
				Attempt: getpaid.Attempt{At: now, Status: 200, Duration: time.Millisecond}})
		}
		if err := s.FinishDeliveries(ctx, res); err != nil {
			b.Error(err)
			return
		}
	}
}

// lifecycle is one payment from creation to paid, its events delivered to
// subs.
func lifecycle(ctx context.Context, s getpaid.Store, subs []getpaid.Subscription) error {
	p := &getpaid.Payment{
		ID: getpaid.NewID("pay"), OrderID: getpaid.NewID("ord"), Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("123.45", "PLN"),
		Description: "bench", Buyer: getpaid.Buyer{Email: "b@example.com", Language: "pl"},
		ReturnURL: "https://shop.example/o", ClientIP: "203.0.113.1",
	}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{OneLivePerOrder: true, Deliver: subs}); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	ext := "ext_" + p.ID
	_, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "prepared", Deliver: subs, Apply: func(q *getpaid.Payment) (bool, error) {
		r := &getpaid.Redirect{Method: "POST", URL: "https://broker.example/pay", Fields: map[string]string{"sig": "x"}}
		return true, getpaid.MarkPrepared(q, ext, r)
	}})
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if _, err := s.Payment(ctx, p.ID); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	o := &getpaid.Observation{ExternalID: ext, EventID: "e_" + p.ID, Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
	res, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "dummy:" + o.EventID, Cause: o.Cause(), Deliver: subs,
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

// BenchmarkRead reads one payment by id from parallel goroutines, showing the
// drivers' read-path cost without fsyncs:
//
//	go test -run '^$' -bench Read ./sqlite/
func BenchmarkRead(b *testing.B) {
	for _, d := range drivers {
		b.Run(d, func(b *testing.B) {
			s, _ := openTemp(b, d)
			ctx := context.Background()
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy",
				Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN"),
				Redirect: &getpaid.Redirect{Method: "GET", URL: "https://broker.example/"}}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Payment(ctx, p.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkClaimBesideADownEndpoint claims the deliveries of a healthy
// consumer while another consumer (an endpoint that is down) has a backlog
// of deliveries waiting for their retry, 8 at a time as the engine does:
//
//	go test -run '^$' -bench ClaimBeside -benchtime 200x ./sqlite/
//
// A claim reads only the healthy consumer's due deliveries: its cost does
// not grow with the other's backlog.
func BenchmarkClaimBesideADownEndpoint(b *testing.B) {
	for _, backlog := range []int{1000, 10000} {
		b.Run(fmt.Sprint(backlog), func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			subs := []getpaid.Subscription{{Consumer: "down"}, {Consumer: "up"}}
			create := func(n int) {
				for i := range n {
					p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: fmt.Sprint("o-", i), Backend: "dummy",
						Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
					if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: subs}); err != nil {
						b.Fatal(err)
					}
				}
			}
			// The backlog: delivered to "up", failed at "down" and waiting
			// for a retry an hour later.
			create(backlog)
			now := time.Now().Add(time.Second)
			for done := 0; done < 2*backlog; {
				got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 500, Consumers: []string{"down", "up"}})
				if err != nil || len(got) == 0 {
					b.Fatalf("claim the backlog: %d, %v", len(got), err)
				}
				var res []getpaid.DeliveryResult
				for _, c := range got {
					r := getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: "w", Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 200}}
					if c.Delivery.Consumer == "down" {
						r = getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: "w", NextAt: now.Add(time.Hour),
							Attempt: getpaid.Attempt{At: now, Status: 503, Error: "HTTP 503"}}
					}
					res = append(res, r)
				}
				if err := s.FinishDeliveries(ctx, res); err != nil {
					b.Fatal(err)
				}
				done += len(got)
			}
			// New events, for both.
			create(4 * b.N)
			now = time.Now().Add(time.Second)
			b.ResetTimer()
			for range b.N {
				got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 8, Consumers: []string{"down", "up"}})
				if err != nil || len(got) != 8 {
					b.Fatalf("claim: %d, %v", len(got), err)
				}
			}
		})
	}
}
