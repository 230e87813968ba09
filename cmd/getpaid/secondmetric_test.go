package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// README's GetpaidBuyerPaidTwice alert reads
// getpaid_second_transactions_total: every transaction recorded as a second
// one counts there once. It read getpaid_callbacks_total's
// second_transaction outcome, which no notification has when Tpay held
// money for one transaction (a Transferuj FALSE surcharge: an advance) and
// another then paid the payment: that capture is applied, the held 6.00
// recorded as a second transaction and logged at ERROR, and the alert never
// fired.
func TestBuyerPaidTwiceAlertSeries(t *testing.T) {
	t.Parallel()
	srv, ts := startServer(t, sqliteConfig(t, "  transferuj:\n    merchant_id: 1010\n    security_code: demo\n"))
	ctx := context.Background()
	notify := func(p *getpaid.Payment, trID, status, paid, trErr string) {
		t.Helper()
		v := url.Values{"id": {"1010"}, "tr_id": {trID}, "tr_date": {"2026-12-04 05:00:00"}, "tr_crc": {p.ID},
			"tr_amount": {"10.00"}, "tr_paid": {paid}, "tr_desc": {"Order"}, "tr_status": {status}, "tr_error": {trErr},
			"tr_email": {"jan@example.com"}, "md5sum": {tpaynotify.MD5("1010", trID, "10.00", p.ID, "demo")}}
		code, out := request(t, "POST", ts.URL+"/callback/transferuj", "", []byte(v.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if code != http.StatusOK {
			t.Fatalf("%s %s %s: %d %s", trID, status, paid, code, out)
		}
	}
	pay := func(order string) *getpaid.Payment {
		t.Helper()
		p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "transferuj", Amount: getpaid.MustParseMoney("10.00", "PLN"),
			Buyer: getpaid.Buyer{Email: "jan@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	scrape := func() string {
		t.Helper()
		code, got := request(t, "GET", ts.URL+"/metrics", observeKey, nil, nil)
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		return got
	}
	const series = `getpaid_second_transactions_total{backend="transferuj"} `
	if got := scrape(); !strings.Contains(got, series+"0\n") || !strings.Contains(got, `getpaid_second_transactions_total{backend="dummy"} 0`+"\n") {
		t.Fatalf("the alert's series is not there at 0 from the start:\n%s", got)
	}

	// TR-B's 6.00 held (an advance), TR-A pays the payment, each delivered
	// twice, then TR-B's money goes back.
	held := pay("o-held")
	notify(held, "TR-B", "FALSE", "6.00", "surcharge")
	notify(held, "TR-A", "TRUE", "10.00", "none")
	notify(held, "TR-A", "TRUE", "10.00", "none")
	notify(held, "TR-B", "FALSE", "6.00", "surcharge")
	if got := scrape(); !strings.Contains(got, series+"1\n") {
		t.Fatalf("a transaction whose held money another's capture cleared: the alert's series did not count it once:\n%s", grep(got, "second_transaction"))
	}
	notify(held, "TR-B", "CHARGEBACK", "6.00", "none")

	// Paid twice at the full amount, the second delivered twice.
	twice := pay("o-twice")
	notify(twice, "TR-C", "TRUE", "10.00", "none")
	notify(twice, "TR-D", "TRUE", "10.00", "none")
	notify(twice, "TR-D", "TRUE", "10.00", "none")
	if got := scrape(); !strings.Contains(got, series+"2\n") {
		t.Fatalf("two transactions recorded as second ones: the alert's series is not 2:\n%s", grep(got, "second_transaction"))
	}
	for _, p := range []*getpaid.Payment{held, twice} {
		if s, err := srv.engine.SecondTransactions(ctx, p.ID); err != nil || len(s) != 1 {
			t.Fatalf("SecondTransactions(%s) = %+v, %v; want one", p.OrderID, s, err)
		}
	}
}

// grep is the lines of s containing sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
