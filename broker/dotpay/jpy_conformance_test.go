package dotpay_test

import (
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/brokertest"
)

// The whole suite again with a currency without a minor unit: Dotpay writes
// 12345 JPY as "12345.00" on the form, in the URLC and in the seller API,
// so every amount crossing the wire is multiplied or divided by 100, and
// payments, refunds and panel refunds must still come out at 12345 JPY (a
// backend that wrote "123.45" or read "12345.00" as 1234500 yen fails the
// amount checks of every case).
func TestConformanceJPY(t *testing.T) {
	t.Parallel()
	off := false
	brokertest.Run(t, func(t *testing.T) *brokertest.Harness {
		h := harness(func(c *dotpay.Config) { c.IPAllowlist = &off })(t)
		h.Amount = getpaid.MustParseMoney("12345", "JPY")
		return h
	})
}
