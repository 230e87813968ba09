package getpaid_test

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// A change's events: a status move is a status event (and a history row);
// captured or refunded money moving while the status stays is an amounts
// event (no history row); any other change is neither.
func TestPlanUpdateEvents(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	base := getpaid.Payment{ID: "pay_1", OrderID: "o-1", Backend: "payu", Status: getpaid.StatusPartiallyRefunded,
		Amount: getpaid.MustParseMoney("40.00", "PLN"), Captured: 4000, Refunded: 1000, Version: 7, CreatedAt: at}
	for _, tc := range []struct {
		name    string
		apply   func(*getpaid.Payment)
		want    getpaid.EventType // "" for none
		history bool
	}{
		{"a second partial refund", func(p *getpaid.Payment) { p.Refunded = 2500 }, getpaid.EventAmountsChanged, false},
		{"more captured, status kept", func(p *getpaid.Payment) { p.Captured = 3500 }, getpaid.EventAmountsChanged, false},
		{"refunded in full", func(p *getpaid.Payment) { p.Refunded, p.Status = 4000, getpaid.StatusRefunded }, getpaid.EventStatusChanged, true},
		{"another field", func(p *getpaid.Payment) { p.Description = "x" }, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur := base
			res, err := getpaid.PlanUpdate(&cur, nil, getpaid.Mutation{Cause: "refunded (FINALIZED)",
				Apply: func(p *getpaid.Payment) (bool, error) { tc.apply(p); return true, nil }}, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Transition != nil; got != tc.history {
				t.Errorf("history row: %v, want %v", got, tc.history)
			}
			if tc.want == "" {
				if len(res.Events) != 0 {
					t.Errorf("events %+v, want none", res.Events)
				}
				return
			}
			if len(res.Events) != 1 {
				t.Fatalf("events %+v, want one %s", res.Events, tc.want)
			}
			ev, p := res.Events[0], res.Payment
			if ev.Type != tc.want || ev.ID != "evt_pay_1_v8" || ev.To != p.Status || ev.Cause != "refunded (FINALIZED)" ||
				ev.Captured != p.Money(p.Captured) || ev.Refunded != p.Money(p.Refunded) {
				t.Errorf("event %+v, want %s evt_pay_1_v8 with the payment's new totals", ev, tc.want)
			}
			if tr := res.Transition; tr != nil && !tr.RecordedBy(ev) {
				t.Errorf("history row %+v is not recorded by its event %+v", tr, ev)
			}
			if tc.want == getpaid.EventAmountsChanged && ev.From != getpaid.StatusPartiallyRefunded {
				t.Errorf("amounts event from %q, want the status it keeps", ev.From)
			}
		})
	}
}

// A status event records its history row only when it says all the row
// does: the SQLite store keeps no other copy.
func TestTransitionRecordedBy(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)
	tr := getpaid.Transition{From: getpaid.StatusPrepared, To: getpaid.StatusPaid, At: at, Cause: "captured (COMPLETED)"}
	p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPaid, Amount: getpaid.MustParseMoney("1.00", "PLN"), Version: 3}
	ev := getpaid.NewStatusEvent(p, getpaid.StatusPrepared, at.In(time.FixedZone("CET", 3600)), "captured (COMPLETED)")
	for _, tc := range []struct {
		name string
		edit func(*getpaid.Event)
		want bool
	}{
		{"its status event, the time in another zone", func(*getpaid.Event) {}, true},
		{"an amounts event", func(e *getpaid.Event) { e.Type = getpaid.EventAmountsChanged }, false},
		{"another from", func(e *getpaid.Event) { e.From = getpaid.StatusNew }, false},
		{"another to", func(e *getpaid.Event) { e.To = getpaid.StatusFailed }, false},
		{"a nanosecond later", func(e *getpaid.Event) { e.At = e.At.Add(time.Nanosecond) }, false},
		{"another cause", func(e *getpaid.Event) { e.Cause = "captured" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := ev
			tc.edit(&e)
			if got := tr.RecordedBy(e); got != tc.want {
				t.Errorf("RecordedBy(%+v) = %v, want %v", e, got, tc.want)
			}
		})
	}
}

// Every event says which version of its payment its change made, the order a
// consumer applies them in: 1 for the payment's creation, one more per
// change, whichever of the three constructors wrote it; 0 for an event id
// of another shape (never written by getpaid).
func TestEventPaymentVersion(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	p := &getpaid.Payment{ID: "pay_7", OrderID: "o", Backend: "dummy", Status: getpaid.StatusPrepared,
		Amount: getpaid.MustParseMoney("1.00", "PLN"), Version: 12}
	for _, tc := range []struct {
		name string
		ev   getpaid.Event
		want int64
	}{
		{"created", getpaid.NewCreatedEvent(p, at), 1},
		{"status", getpaid.NewStatusEvent(p, getpaid.StatusNew, at, "prepared"), 12},
		{"amounts", getpaid.NewAmountsEvent(p, at, "refunded"), 12},
		{"another payment's id", getpaid.Event{ID: "evt_pay_8_v3", Type: getpaid.EventStatusChanged, PaymentID: "pay_7"}, 0},
		{"no number", getpaid.Event{ID: "evt_pay_7_v", Type: getpaid.EventStatusChanged, PaymentID: "pay_7"}, 0},
		{"a leading zero", getpaid.Event{ID: "evt_pay_7_v03", Type: getpaid.EventStatusChanged, PaymentID: "pay_7"}, 0},
		{"a sign", getpaid.Event{ID: "evt_pay_7_v+3", Type: getpaid.EventStatusChanged, PaymentID: "pay_7"}, 0},
		{"version 0", getpaid.Event{ID: "evt_pay_7_v0", Type: getpaid.EventStatusChanged, PaymentID: "pay_7"}, 0},
		{"created of another", getpaid.Event{ID: "evt_created_pay_8", Type: getpaid.EventPaymentCreated, PaymentID: "pay_7"}, 0},
		{"a status id typed created", getpaid.Event{ID: "evt_pay_7_v2", Type: getpaid.EventPaymentCreated, PaymentID: "pay_7"}, 0},
	} {
		if got := tc.ev.PaymentVersion(); got != tc.want {
			t.Errorf("%s: %s.PaymentVersion() = %d, want %d", tc.name, tc.ev.ID, got, tc.want)
		}
	}
}
