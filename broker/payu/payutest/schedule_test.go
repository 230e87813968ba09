package payutest_test

import (
	"testing"

	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// PayU's published schedule cannot be changed for every simulator in the
// program by one package writing to it (design.md: no mutable globals).
func TestRetryScheduleIsACopy(t *testing.T) {
	t.Parallel()
	s := payutest.RetrySchedule()
	s[0] = 0
	if got := payutest.RetrySchedule(); got[0] != 1 || len(got) != 19 || got[18] != 72*60 {
		t.Fatalf("RetrySchedule() = %v after a caller changed its copy; want PayU's 19 retries, the last at 72 h", got)
	}
}
