package postgres_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// Open a store on the PostgreSQL database DATABASE_URL names (applying the
// migrations), create a payment already registered at its broker, and read
// it back. TestExample runs it against the test database.
func Example() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	p := &getpaid.Payment{
		ID: getpaid.NewID("pay"), OrderID: "order-1", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("12.34", "PLN"),
	}
	prepared := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"})
	}}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Then: prepared, OneLivePerOrder: true}); err != nil {
		fmt.Println(err)
		return
	}
	got, err := s.Payment(ctx, p.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %s\n", got.Status, got.Amount)
}

// TestExample runs Example on a schema of the test database and checks what
// it prints.
func TestExample(t *testing.T) {
	t.Setenv("DATABASE_URL", pgtest.Schema(t))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	Example()
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	if got, want := string(out), "prepared: 12.34 PLN\n"; got != want {
		t.Errorf("Example printed %q, want %q", got, want)
	}
}
