package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// PaymentReader reads a payment: a getpaid.Store, or the engine.
type PaymentReader interface {
	Payment(ctx context.Context, id string) (*getpaid.Payment, error)
}

// WaitStatus waits, 10 s at most, until the payment id read through r has
// status want (an asynchronous notification moved it), and returns it.
func WaitStatus(t testing.TB, r PaymentReader, id string, want getpaid.Status) *getpaid.Payment {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := r.Payment(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status == want {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment %s is %s, want %s", id, p.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
