package shop

import (
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The order page never shows "not paid" next to money a broker reported,
// waits for a broker only a bounded time, and refreshes only while
// something it shows is about to change.
func TestOrderView(t *testing.T) {
	t.Parallel()
	mug := getpaid.MustParseMoney("39.00", "PLN")
	order := func(paid bool) *ShopOrder { return &ShopOrder{ID: "ord_1", Name: "Coffee mug", Price: mug, Paid: paid} }
	pay := func(s getpaid.Status, captured, locked, advance int64) *getpaid.Payment {
		return &getpaid.Payment{ID: "pay_1", OrderID: "ord_1", Backend: "przelewy24", Status: s, Amount: mug, Captured: captured, Locked: locked, Advance: advance}
	}
	yen := func(s getpaid.Status, captured int64) *getpaid.Payment {
		return &getpaid.Payment{ID: "pay_2", OrderID: "ord_1", Backend: "dummy", Status: s, Amount: getpaid.Money{Minor: captured, Currency: "JPY"}, Captured: captured}
	}
	opts := func(waited time.Duration) viewOptions {
		return viewOptions{waited: waited, confirmWait: 20 * time.Second, refresh: time.Second,
			titles: func(string) (string, string) { return "Przelewy24", "przelewy24" }, key: func() string { return "k" }}
	}
	tests := []struct {
		name     string
		order    *ShopOrder
		payments []*getpaid.Payment
		waited   time.Duration
		state    string
		refresh  bool
		canPay   bool
	}{
		{"no payment", order(false), nil, 0, stateUnpaid, false, true},
		{"waiting for the broker", order(false), []*getpaid.Payment{pay(getpaid.StatusPrepared, 0, 0, 0)}, 5 * time.Second, stateWaiting, true, false},
		{"the broker said nothing", order(false), []*getpaid.Payment{pay(getpaid.StatusPrepared, 0, 0, 0)}, 20 * time.Second, stateNotConfirmed, false, true},
		{"paid, the listener not yet run", order(false), []*getpaid.Payment{pay(getpaid.StatusPaid, 3900, 0, 0)}, 0, stateRecording, true, false},
		{"paid, the listener not yet run, long after", order(false), []*getpaid.Payment{pay(getpaid.StatusPaid, 3900, 0, 0)}, time.Hour, stateRecording, true, false},
		{"paid", order(true), []*getpaid.Payment{pay(getpaid.StatusPaid, 3900, 0, 0)}, 0, statePaid, false, false},
		{"declined", order(false), []*getpaid.Payment{pay(getpaid.StatusFailed, 0, 0, 0)}, 0, stateDeclined, false, true},
		{"partially paid", order(false), []*getpaid.Payment{pay(getpaid.StatusPartiallyPaid, 1950, 0, 0)}, 0, statePartial, false, true},
		{"held", order(false), []*getpaid.Payment{pay(getpaid.StatusPreAuth, 0, 3900, 0)}, 0, stateHeld, false, false},
		{"an advance", order(false), []*getpaid.Payment{pay(getpaid.StatusChargeStarted, 0, 0, 1950)}, 0, stateAdvance, false, false},
		{"processing, long after", order(false), []*getpaid.Payment{pay(getpaid.StatusChargeStarted, 0, 0, 0)}, time.Minute, stateProcessing, false, false},
		{"a second attempt paid the rest", order(false), []*getpaid.Payment{pay(getpaid.StatusPaid, 1950, 0, 0), pay(getpaid.StatusPartiallyPaid, 1950, 0, 0)}, 0, stateRecording, true, false},
		// 3900 yen is not 39.00 PLN: a payment of the order in another
		// currency (made through the JSON API) pays nothing of its price.
		{"paid in another currency", order(false), []*getpaid.Payment{yen(getpaid.StatusPaid, 3900)}, 0, stateUnpaid, false, true},
		{"partly paid, and paid in another currency", order(false), []*getpaid.Payment{yen(getpaid.StatusPaid, 1950), pay(getpaid.StatusPartiallyPaid, 1950, 0, 0)}, 0, statePartial, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := buildView(tt.order, tt.payments, opts(tt.waited))
			if v.State != tt.state || (v.Refresh > 0) != tt.refresh || v.CanPay != tt.canPay {
				t.Fatalf("state %s, refresh %d, can pay %v; want %s, %v, %v", v.State, v.Refresh, v.CanPay, tt.state, tt.refresh, tt.canPay)
			}
			if tt.state == stateNotConfirmed && (v.Note == "" || v.Poll == nil) {
				t.Fatalf("not confirmed without the broker's note or a way to check again: %+v", v)
			}
		})
	}
}

// An order paid twice (two tabs, two payments that both went through) is
// paid, and the page says how much more than the price was received and
// that a payment is to be refunded, rather than showing only "paid".
func TestOrderViewOverpaid(t *testing.T) {
	t.Parallel()
	mug := getpaid.MustParseMoney("39.00", "PLN")
	paid := func(id string) *getpaid.Payment {
		return &getpaid.Payment{ID: id, OrderID: "ord_1", Backend: "dummy", Status: getpaid.StatusPaid, Amount: mug, Captured: 3900}
	}
	refunded := func(id string) *getpaid.Payment {
		p := paid(id)
		p.Status, p.Refunded = getpaid.StatusRefunded, 3900
		return p
	}
	halfRefunded := func(id string) *getpaid.Payment {
		p := paid(id)
		p.Status, p.Refunded = getpaid.StatusPartiallyRefunded, 1950
		return p
	}
	opts := viewOptions{confirmWait: 20 * time.Second, refresh: time.Second,
		titles: func(string) (string, string) { return "Dummy", "dummy" }, key: func() string { return "k" }}
	for _, tt := range []struct {
		name     string
		paid     bool
		payments []*getpaid.Payment
		note     string
	}{
		{"paid twice", true, []*getpaid.Payment{paid("pay_2"), paid("pay_1")}, "39.00 PLN more than the price"},
		{"paid twice, the listener not yet run", false, []*getpaid.Payment{paid("pay_2"), paid("pay_1")}, "39.00 PLN more than the price"},
		{"paid once", true, []*getpaid.Payment{paid("pay_1")}, ""},
		// Once the extra is refunded there is nothing left to refund.
		{"paid twice, the extra refunded", true, []*getpaid.Payment{refunded("pay_2"), paid("pay_1")}, ""},
		{"paid twice, half the extra refunded", true, []*getpaid.Payment{halfRefunded("pay_2"), paid("pay_1")}, "19.50 PLN more than the price"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := buildView(&ShopOrder{ID: "ord_1", Name: "Coffee mug", Price: mug, Paid: tt.paid}, tt.payments, opts)
			// The demo refunds nothing by itself: the note says the extra
			// is to be refunded, not that the shop is refunding it.
			if tt.note == "" && v.Note != "" || !strings.Contains(v.Note, tt.note) || tt.note != "" && !strings.Contains(v.Note, "to be refunded") ||
				strings.Contains(v.Note, "The shop refunds") {
				t.Fatalf("state %s, note %q; want a note saying %q", v.State, v.Note, tt.note)
			}
		})
	}
}

// "Check again" asks the broker (getpaid's poll). It is offered only where
// the broker can be asked: Transferuj's form has no status query, so its
// page says to wait for the notification instead of offering a button that
// asks nobody.
func TestOrderViewCheckAgainOnlyWhereTheBrokerCanBeAsked(t *testing.T) {
	t.Parallel()
	mug := getpaid.MustParseMoney("39.00", "PLN")
	for _, tt := range []struct {
		name      string
		status    getpaid.Status
		polls     bool
		state     string
		wantCheck bool
	}{
		{"not confirmed, a broker that answers polls", getpaid.StatusPrepared, true, stateNotConfirmed, true},
		{"not confirmed, a broker that cannot be asked", getpaid.StatusPrepared, false, stateNotConfirmed, false},
		{"processing, a broker that answers polls", getpaid.StatusChargeStarted, true, stateProcessing, true},
		{"processing, a broker that cannot be asked", getpaid.StatusChargeStarted, false, stateProcessing, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := viewOptions{waited: time.Minute, confirmWait: 20 * time.Second, refresh: time.Second,
				titles: func(string) (string, string) { return "Tpay (Transferuj.pl form)", "transferuj" },
				polls:  func(string) bool { return tt.polls },
				key:    func() string { return "k" }}
			p := &getpaid.Payment{ID: "pay_1", OrderID: "ord_1", Backend: "transferuj", Status: tt.status, Amount: mug}
			v := buildView(&ShopOrder{ID: "ord_1", Name: "Coffee mug", Price: mug}, []*getpaid.Payment{p}, opts)
			if v.State != tt.state {
				t.Fatalf("state %s, want %s", v.State, tt.state)
			}
			says := strings.Contains(strings.ToLower(v.Detail), "check again")
			if (v.Poll != nil) != tt.wantCheck || says != tt.wantCheck {
				t.Fatalf("check again offered %v, detail %q; want it offered (and said) %v", v.Poll != nil, v.Detail, tt.wantCheck)
			}
		})
	}
}

// "Check again" shows what the check found: the page after it says the
// broker was asked just now, so a page that looks as before is not taken
// for a button that did nothing.
func TestOrderViewSaysTheBrokerWasAsked(t *testing.T) {
	t.Parallel()
	mug := getpaid.MustParseMoney("39.00", "PLN")
	for _, tt := range []struct {
		name    string
		status  getpaid.Status
		checked bool
		state   string
	}{
		{"not confirmed, just checked", getpaid.StatusPrepared, true, stateNotConfirmed},
		{"not confirmed", getpaid.StatusPrepared, false, stateNotConfirmed},
		{"processing, just checked", getpaid.StatusChargeStarted, true, stateProcessing},
		{"processing", getpaid.StatusChargeStarted, false, stateProcessing},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := viewOptions{waited: time.Minute, confirmWait: 20 * time.Second, refresh: time.Second, checked: tt.checked,
				titles: func(string) (string, string) { return "Przelewy24", "przelewy24" }, key: func() string { return "k" }}
			p := &getpaid.Payment{ID: "pay_1", OrderID: "ord_1", Backend: "przelewy24", Status: tt.status, Amount: mug}
			v := buildView(&ShopOrder{ID: "ord_1", Name: "Coffee mug", Price: mug}, []*getpaid.Payment{p}, opts)
			says := strings.Contains(v.Detail, "Przelewy24 was asked just now")
			if v.State != tt.state || says != tt.checked {
				t.Fatalf("state %s, detail %q; want %s, saying the broker was asked: %v", v.State, v.Detail, tt.state, tt.checked)
			}
		})
	}
}

// The waiting page's headline reads as a sentence whatever the backend's
// title: "Waiting for Tpay (Transferuj.pl form) (simulator)'s
// confirmation…" did not.
func TestOrderViewWaitingHeadline(t *testing.T) {
	t.Parallel()
	mug := getpaid.MustParseMoney("39.00", "PLN")
	for _, title := range []string{"PayU", "Tpay (Transferuj.pl form) (simulator)"} {
		opts := viewOptions{confirmWait: 20 * time.Second, refresh: time.Second,
			titles: func(string) (string, string) { return title, "transferuj" }, key: func() string { return "k" }}
		p := &getpaid.Payment{ID: "pay_1", OrderID: "ord_1", Backend: "transferuj", Status: getpaid.StatusPrepared, Amount: mug}
		v := buildView(&ShopOrder{ID: "ord_1", Name: "Coffee mug", Price: mug}, []*getpaid.Payment{p}, opts)
		if want := "Waiting for confirmation from " + title + "…"; v.State != stateWaiting || v.Headline != want {
			t.Errorf("state %s, headline %q; want %s, %q", v.State, v.Headline, stateWaiting, want)
		}
	}
}
