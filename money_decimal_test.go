package getpaid_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// decimalReference is Money.Decimal as it was written first (strconv and
// string concatenation): the allocation-free one must say the same.
func decimalReference(m getpaid.Money) string {
	exp := m.Exponent()
	if exp < 0 {
		exp = 2
	}
	neg := m.Minor < 0
	u := uint64(m.Minor)
	if neg {
		u = uint64(-m.Minor)
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func TestMoneyDecimalMatchesReference(t *testing.T) {
	t.Parallel()
	// Every exponent there is (JPY 0, PLN 2, KWD 3, CLF 4) and an unknown
	// currency (read as 2).
	currencies := []string{"JPY", "PLN", "KWD", "CLF", "", "XAU"}
	minors := []int64{0, 1, -1, 5, -5, 9, 10, 99, 100, 101, -101, 999, 1000, 1005, 9999, 10000, 12345, -12345,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for p := int64(10); p < math.MaxInt64/10; p *= 10 {
		minors = append(minors, p-1, p, p+1, -p)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		minors = append(minors, r.Int64(), -r.Int64N(1_000_000), r.Int64N(1_000_000))
	}
	for _, cur := range currencies {
		for _, minor := range minors {
			m := getpaid.Money{Minor: minor, Currency: cur}
			if got, want := m.Decimal(), decimalReference(m); got != want {
				t.Fatalf("Money{%d, %q}.Decimal() = %q, want %q", minor, cur, got, want)
			}
		}
	}
}

// Not parallel: AllocsPerRun counts every goroutine's allocations.
func TestMoneyDecimalZeroAllocates(t *testing.T) {
	m := getpaid.Money{Currency: "PLN"}
	if n := testing.AllocsPerRun(100, func() { _ = m.Decimal() }); n != 0 {
		t.Fatalf("%v allocations for a zero amount, want 0", n)
	}
	m.Minor = 1234
	if n := testing.AllocsPerRun(100, func() { _ = m.Decimal() }); n > 1 {
		t.Fatalf("%v allocations for 12.34, want at most 1", n)
	}
}
