package przelewy24_test

// Outside-in checks of the Przelewy24 flow against the fake of
// outsidefake_test.go: register, redirect, notification, verify, replays,
// polling.

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func TestOutsideRegisterAndRedirect(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, err := o.create(t, "12.34", "PLN", "Zamówienie 7/2026 <kubki> & \"łyżki\"")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	tr := o.fake.trn(t, p.ID)
	if p.Status != getpaid.StatusPrepared || p.Redirect == nil || p.Redirect.URL != o.fake.srv.URL+"/trnRequest/"+tr.Token {
		t.Fatalf("after create: %s %+v", p.Status, p.Redirect)
	}
	in := tr.Register
	for k, want := range map[string]any{"merchantId": json.Number("11111"), "posId": json.Number("22222"),
		"amount": json.Number("1234"), "currency": "PLN", "email": "buyer@example.com",
		"description": "Zamówienie 7/2026 <kubki> & \"łyżki\"", "urlStatus": o.shop.URL + "/payments/callback/przelewy24"} {
		if in[k] != want {
			t.Errorf("register %s = %#v, want %#v", k, in[k], want)
		}
	}
	if s, _ := in["urlReturn"].(string); s == "" {
		t.Errorf("register without urlReturn")
	}
}

func TestOutsideAmountsInGrosze(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount, cur string
		want        int64
	}{{"0.01", "PLN", 1}, {"1.00", "EUR", 100}, {"99999999.99", "PLN", 9999999999}, {"250.50", "HUF", 25050}} {
		o := newXOutside(t, nil)
		p, err := o.create(t, tc.amount, tc.cur, "x")
		if err != nil {
			t.Errorf("%s %s: %v", tc.amount, tc.cur, err)
			continue
		}
		if got := o.fake.trn(t, p.ID).Amount; got != tc.want {
			t.Errorf("%s %s registered as %d, want %d", tc.amount, tc.cur, got, tc.want)
		}
	}
}

func TestOutsideNotifyVerifyPaid(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, err := o.create(t, "10.00", "PLN", "Two mugs")
	if err != nil {
		t.Fatal(err)
	}
	tr := o.fake.trn(t, p.ID)
	url := tr.Notify
	good := o.fake.pay(t, p.ID, 0)
	tests := []struct {
		name   string
		body   []byte
		want   int
		status getpaid.Status
	}{
		{"wrong crc", o.fake.note(tr, xMerchant, xPos, 1000, "PLN", "0000000000000000"), 403, getpaid.StatusPrepared},
		{"sign for another pos", o.fake.note(tr, xMerchant, xMerchant, 1000, "PLN", xCRC), 403, getpaid.StatusPrepared},
		{"tampered amount", []byte(strings.Replace(string(good), `"amount":1000`, `"amount":1001`, 1)), 403, getpaid.StatusPrepared},
		{"currency disagrees", o.fake.note(tr, xMerchant, xPos, 1000, "EUR", xCRC), 422, getpaid.StatusPrepared},
		{"good", good, 200, getpaid.StatusPaid},
		{"replayed", good, 200, getpaid.StatusPaid},
	}
	for _, tc := range tests {
		if got := o.fake.post(t, url, tc.body); got != tc.want {
			t.Errorf("%s: answered %d, want %d", tc.name, got, tc.want)
		}
		if got := o.payment(t, p.ID); got.Status != tc.status {
			t.Errorf("%s: status %s, want %s", tc.name, got.Status, tc.status)
		}
	}
	if got := o.payment(t, p.ID); got.Captured != 1000 {
		t.Errorf("captured %d, want 1000", got.Captured)
	}
	o.fake.mu.Lock()
	defer o.fake.mu.Unlock()
	if len(o.fake.verifies) == 0 {
		t.Fatal("no verify")
	}
	v := o.fake.verifies[0]
	for k, want := range map[string]any{"merchantId": json.Number("11111"), "posId": json.Number("22222"),
		"sessionId": p.ID, "amount": json.Number("1000"), "currency": "PLN", "orderId": json.Number(itoa(tr.OrderID))} {
		if v[k] != want {
			t.Errorf("verify %s = %#v, want %#v", k, v[k], want)
		}
	}
	if o.fake.trns[p.ID].Status != 2 {
		t.Errorf("the fake's transaction not verified (status %d)", o.fake.trns[p.ID].Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestOutsideStatementWithSlashAndUnicode(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p := o.registered(t)
	tr := o.fake.trn(t, p.ID)
	o.fake.mu.Lock()
	tr.Statement = "p24/zamówienie ąźćż \"1\" <&> \u2028"
	o.fake.mu.Unlock()
	if got := o.fake.post(t, tr.Notify, o.fake.pay(t, p.ID, 0)); got != 200 {
		t.Errorf("notification with a statement needing PHP's escaping answered %d, want 200", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid {
		t.Errorf("status %s, want paid", got.Status)
	}
}

func TestOutsideUnknownSession(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p := o.registered(t)
	tr := *o.fake.trn(t, p.ID)
	tr.SessionID = "pay_unknown0000"
	if got := o.fake.post(t, tr.Notify, o.fake.note(&tr, xMerchant, xPos, 1000, "PLN", xCRC)); got != 200 {
		t.Errorf("unknown session answered %d, want 200 (logged, Przelewy24 stops)", got)
	}
	if n := o.fake.count("PUT /api/v1/transaction/verify"); n != 0 {
		t.Errorf("verify called %d times for an unknown session", n)
	}
}

func TestOutsideVerifyFailsOrTimesOut(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"400", "500", "hang"} {
		o := newXOutside(t, nil)
		p := o.registered(t)
		url := o.fake.trn(t, p.ID).Notify
		body := o.fake.pay(t, p.ID, 0)
		o.fake.set(func(f *xP24) {
			f.verifyFail, f.verifyDown, f.verifyHang = fault == "400", fault == "500", fault == "hang"
		})
		if got := o.fake.post(t, url, body); got == 200 {
			t.Errorf("%s: notification whose verify failed answered 200 (Przelewy24 would not retry)", fault)
		}
		if got := o.payment(t, p.ID); got.Status == getpaid.StatusPaid || got.Captured != 0 {
			t.Errorf("%s: paid before verify succeeded: %s captured %d", fault, got.Status, got.Captured)
		}
		o.fake.set(func(f *xP24) { f.verifyFail, f.verifyDown, f.verifyHang = false, false, false })
		if got := o.fake.post(t, url, body); got != 200 {
			t.Errorf("%s: retried notification answered %d", fault, got)
		}
		if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid || got.Captured != 1000 {
			t.Errorf("%s: after the retry: %s captured %d", fault, got.Status, got.Captured)
		}
	}
}

func TestOutsidePollBySession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newXOutside(t, nil)
	p := o.registered(t)
	if got, err := o.eng.Poll(ctx, p.ID); err != nil || got.Status != getpaid.StatusPrepared {
		t.Fatalf("poll before paying: %v %v", got, err)
	}
	o.fake.pay(t, p.ID, 0) // the notification is lost
	o.fake.set(func(f *xP24) { f.verifyDown = true })
	if got, err := o.eng.Poll(ctx, p.ID); err == nil && got.Status == getpaid.StatusPaid {
		t.Errorf("poll counted a payment whose verify failed")
	}
	if got := o.payment(t, p.ID); got.Captured != 0 {
		t.Errorf("captured %d before verify", got.Captured)
	}
	o.fake.set(func(f *xP24) { f.verifyDown = false })
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil || got.Status != getpaid.StatusPaid || got.Captured != 1000 {
		t.Fatalf("poll after verify: %+v %v", got, err)
	}
	if o.fake.trn(t, p.ID).Status != 2 {
		t.Errorf("polling did not verify at Przelewy24")
	}
}

func TestOutsideConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p := o.registered(t)
	tr := o.fake.trn(t, p.ID)
	body := o.fake.pay(t, p.ID, 0)
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = o.fake.post(t, tr.Notify, body)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("copy %d answered %d", i, c)
		}
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid || got.Captured != 1000 {
		t.Errorf("after 10 copies at once: %s captured %d", got.Status, got.Captured)
	}
	// Captures are cumulative and capped at the amount, so the amounts
	// cannot show a repeat applied; the history has one move to paid.
	hist, err := o.eng.History(context.Background(), p.ID)
	paid := 0
	for _, tr := range hist {
		if tr.To == getpaid.StatusPaid {
			paid++
		}
	}
	if err != nil || paid != 1 {
		t.Errorf("after 10 copies at once: %d transitions to paid (%v), want 1: %+v", paid, err, hist)
	}
}
