package p24test_test

import (
	"testing"

	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

// The documented schedule cannot be changed for every simulator in the
// program by one package writing to it (design.md: no mutable globals).
func TestRetryScheduleIsACopy(t *testing.T) {
	t.Parallel()
	s := p24test.RetrySchedule()
	s[0] = 0
	if got := p24test.RetrySchedule(); got[0] != 3 || len(got) != 7 {
		t.Fatalf("RetrySchedule() = %v after a caller changed its copy; want Przelewy24's 3, 5, 15, 30, 60, 150, 450", got)
	}
}
