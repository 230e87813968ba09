package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// PayOrder with no order source (nil, or an OrderSourceFunc left unset) is
// an error naming it, not a panic in the shop's checkout handler.
func TestPayOrderWithoutSource(t *testing.T) {
	t.Parallel()
	var unset getpaid.OrderSourceFunc
	tests := []struct {
		name string
		src  getpaid.OrderSource
	}{
		{"nil", nil},
		{"nil OrderSourceFunc", unset},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			e := newEngine(t, fb, memory.New())
			p, err := e.PayOrder(context.Background(), tc.src, "o1", "fake", "")
			if p != nil || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("PayOrder = %v, %v; want ErrInvalidRequest", p, err)
			}
			if n := fb.prepares.Load(); n != 0 {
				t.Fatalf("the broker was asked %d times", n)
			}
		})
	}
}
