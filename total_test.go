package getpaid_test

import (
	"errors"
	"math"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// PaymentTotal.Add refuses a sum past the int64 range and leaves the total
// as it was; a sum up to the edge is exact.
func TestPaymentTotalAdd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		have, add int64
		want      int64
		tooLarge  bool
	}{
		{"small", 100, 250, 350, false},
		{"up to the edge", math.MaxInt64 - 5, 5, math.MaxInt64, false},
		{"one past the edge", math.MaxInt64 - 5, 6, math.MaxInt64 - 5, true},
		{"two largest amounts", getpaid.MaxMinor * 100, getpaid.MaxMinor, getpaid.MaxMinor * 100, true},
		{"nothing", 7, 0, 7, false},
	} {
		tot := getpaid.PaymentTotal{Status: getpaid.StatusPaid, Count: 3, Amount: getpaid.Money{Minor: tc.have, Currency: "PLN"}}
		err := tot.Add(1, tc.add)
		if errors.Is(err, getpaid.ErrTotalTooLarge) != tc.tooLarge {
			t.Errorf("%s: Add = %v, want too large %v", tc.name, err, tc.tooLarge)
		}
		wantCount := int64(4)
		if tc.tooLarge {
			wantCount = 3
		}
		if tot.Amount.Minor != tc.want || tot.Count != wantCount {
			t.Errorf("%s: total %d of %d payments, want %d of %d", tc.name, tot.Amount.Minor, tot.Count, tc.want, wantCount)
		}
	}
}
