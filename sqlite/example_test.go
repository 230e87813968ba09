package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "getpaid-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "getpaid.db"), sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "order-1", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("49.99", "PLN")}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{OneLivePerOrder: true}); err != nil {
		log.Fatal(err)
	}
	res, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{
		Cause: "prepared",
		Apply: func(p *getpaid.Payment) (bool, error) {
			return true, getpaid.MarkPrepared(p, "ext-1", &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"})
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Payment.Status, res.Payment.Version, res.Events[0].Type)
	// Output: prepared 2 payment.status_changed
}
