package transferuj_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A buyer who sent the form twice and paid both transactions leaves a
// second transaction getpaid reports (second_transaction) for the merchant
// to refund in Tpay's panel. Its CHARGEBACK returns that second payment,
// not the payment's: it made the payment refunded, the order's money still
// kept by the shop. So does a second transaction of another amount, which
// Tpay holds (FALSE with tr_error surcharge or overpay, an advance): it
// was answered no_change and recorded nowhere, and its CHARGEBACK then
// counted as the payment's. And so does another transaction after an
// underpayment: tr_paid is that transaction's own (cumulative within it,
// when the buyer tops it up), not the payment's so far. Counted as "the
// rest", 10.00 paid after 6.00 made the payment paid with 10.00 where the
// buyer had paid 16.00, and its CHARGEBACK refunded, the 6.00 still kept
// by the shop and counted nowhere. Money Tpay held for a transaction
// (an advance) when another paid the payment, or held money for it too
// (its advance replacing the first), was dropped silently, and its
// CHARGEBACK counted as the payment's too.
func TestChargebackOfSecondTransactionNotCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		notes [][3]string // tr_id, tr_status, tr_paid
		want  getpaid.Status
		refd  int64
		last  getpaid.Outcome // the CHARGEBACK's
	}{
		{"the second transaction refunded", [][3]string{{"TR-A", "TRUE", "10.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
		{"the paying transaction refunded", [][3]string{{"TR-A", "TRUE", "10.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-A", "CHARGEBACK", "10.00"}}, getpaid.StatusRefunded, 1000, getpaid.OutcomeApplied},
		{"a failed try, then paid and refunded", [][3]string{{"TR-A", "FALSE", "0.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusRefunded, 1000, getpaid.OutcomeApplied},
		{"an underpayment held, another transaction paid, the held one refunded", [][3]string{{"TR-B", "FALSE surcharge", "6.00"}, {"TR-A", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "6.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
		{"an underpayment held, another transaction's overpayment held and accepted, the first refunded", [][3]string{{"TR-B", "FALSE surcharge", "6.00"}, {"TR-A", "FALSE overpay", "12.00"}, {"TR-A", "TRUE", "12.00"}, {"TR-B", "CHARGEBACK", "6.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
		{"another transaction after an underpayment, then refunded", [][3]string{{"TR-A", "TRUE", "6.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusPartiallyPaid, 0, getpaid.OutcomeNoChange},
		{"another transaction after an underpayment, delivered again, then refunded", [][3]string{{"TR-A", "TRUE", "6.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusPartiallyPaid, 0, getpaid.OutcomeNoChange},
		{"the underpaid transaction topped up, then refunded", [][3]string{{"TR-A", "TRUE", "6.00"}, {"TR-A", "TRUE", "10.00"}, {"TR-A", "CHARGEBACK", "10.00"}}, getpaid.StatusRefunded, 1000, getpaid.OutcomeApplied},
		{"the second transaction delivered again, then refunded", [][3]string{{"TR-A", "TRUE", "10.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
		{"a second transaction underpaid (held by Tpay), then refunded", [][3]string{{"TR-A", "TRUE", "10.00"}, {"TR-B", "FALSE surcharge", "6.00"}, {"TR-B", "CHARGEBACK", "6.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
		{"a second transaction overpaid (held by Tpay), then refunded", [][3]string{{"TR-A", "TRUE", "10.00"}, {"TR-B", "FALSE overpay", "12.00"}, {"TR-B", "CHARGEBACK", "12.00"}}, getpaid.StatusPaid, 0, getpaid.OutcomeNoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := md5Flow(t)
			p := f.pay(t, "twice", getpaid.MustParseMoney("10.00", "PLN"))
			var last getpaid.Outcome
			for _, n := range tt.notes {
				status, trErr, _ := strings.Cut(n[1], " ")
				if trErr == "" {
					trErr = "none"
				}
				last = f.notify(t, p, n[0], status, n[2], trErr).Outcome
			}
			if last != tt.last {
				t.Errorf("the CHARGEBACK's outcome: %s, want %s", last, tt.last)
			}
			got, err := f.store.Payment(ctx, p.ID)
			captured := int64(1000)
			if tt.want == getpaid.StatusPartiallyPaid {
				captured = 600 // TR-A's alone
			}
			if err != nil || got.Status != tt.want || got.Refunded != tt.refd || got.Captured != captured {
				t.Fatalf("after %v: %s captured %d refunded %d (%v); want %s captured %d refunded %d", tt.notes, got.Status, got.Captured, got.Refunded, err, tt.want, captured, tt.refd)
			}
			if tt.refd == 0 {
				// The console's payment page names it, its money gone back.
				want := []getpaid.SecondTransaction{{ExternalID: "TR-B", Refunded: true}}
				if sec, err := f.eng.SecondTransactions(ctx, p.ID); err != nil || !slices.Equal(sec, want) {
					t.Errorf("SecondTransactions = %+v, %v; want %+v", sec, err, want)
				}
			}
		})
	}
}

// A buyer whose first try failed (FALSE) and whose second was underpaid
// (FALSE surcharge: an advance) leaves the payment with the second
// transaction's money once an operator accepts the advance. That
// transaction's CHARGEBACK (a refund in Tpay's panel, a chargeback) is the
// payment's money going back: it must count, not be taken for a second
// transaction's because the failed try was named first.
func TestAcceptedAdvanceAfterFailedTryRefunded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		before [][4]string // tr_id, tr_status, tr_paid, tr_error, before the advance is accepted
		after  [][4]string // and after
		want   getpaid.Status
		refd   int64
	}{
		{"a failed try, then an underpayment accepted and refunded",
			[][4]string{{"TR-A", "FALSE", "0.00", "none"}, {"TR-B", "FALSE", "6.00", "surcharge"}},
			[][4]string{{"TR-B", "CHARGEBACK", "6.00", "none"}}, getpaid.StatusRefunded, 600},
		{"an underpayment accepted and refunded",
			[][4]string{{"TR-B", "FALSE", "6.00", "surcharge"}},
			[][4]string{{"TR-B", "CHARGEBACK", "6.00", "none"}}, getpaid.StatusRefunded, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := md5Flow(t)
			p := f.pay(t, "advance", getpaid.MustParseMoney("10.00", "PLN"))
			notify := func(notes [][4]string) {
				for _, n := range notes {
					f.notify(t, p, n[0], n[1], n[2], n[3])
				}
			}
			notify(tt.before)
			if _, err := f.eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID}); err != nil {
				t.Fatal(err)
			}
			notify(tt.after)
			got, err := f.store.Payment(ctx, p.ID)
			if err != nil || got.Status != tt.want || got.Refunded != tt.refd || got.Captured != 600 {
				t.Fatalf("%s captured %d refunded %d (%v); want %s refunded %d", got.Status, got.Captured, got.Refunded, err, tt.want, tt.refd)
			}
		})
	}
}

// A payment stored before getpaid took the paying transaction for the
// payment's broker id keeps the first one named: a try that failed (FALSE),
// then another transaction that paid (TRUE). That paying transaction's
// CHARGEBACK is the payment's money going back, not a second transaction's
// (none was ever reported): it counts. A second transaction getpaid
// reported since is still not counted when it is refunded.
func TestChargebackOfPaymentStoredWithFailedTry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		after [][3]string // tr_id, tr_status, tr_paid, once stored naming TR-A
		want  getpaid.Status
		refd  int64
	}{
		{"the paying transaction refunded", [][3]string{{"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusRefunded, 1000},
		{"the paying transaction refunded in part", [][3]string{{"TR-B", "CHARGEBACK", "4.00"}}, getpaid.StatusPartiallyRefunded, 400},
		{"the paying transaction delivered again, then refunded", [][3]string{{"TR-B", "TRUE", "10.00"}, {"TR-B", "CHARGEBACK", "10.00"}}, getpaid.StatusRefunded, 1000},
		{"a second transaction reported, then refunded", [][3]string{{"TR-C", "TRUE", "10.00"}, {"TR-C", "CHARGEBACK", "10.00"}}, getpaid.StatusPaid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := md5Flow(t)
			p := f.pay(t, "stored", getpaid.MustParseMoney("10.00", "PLN"))
			notify := func(notes [][3]string) {
				for _, n := range notes {
					f.notify(t, p, n[0], n[1], n[2], "none")
				}
			}
			notify([][3]string{{"TR-A", "FALSE", "0.00"}, {"TR-B", "TRUE", "10.00"}})
			// As getpaid stored it before: the broker id first named.
			if _, err := f.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
				q.ExternalID = "TR-A"
				return true, nil
			}}); err != nil {
				t.Fatal(err)
			}
			notify(tt.after)
			got, err := f.store.Payment(ctx, p.ID)
			if err != nil || got.Status != tt.want || got.Refunded != tt.refd || got.Captured != 1000 {
				t.Fatalf("%s captured %d refunded %d (%v); want %s refunded %d", got.Status, got.Captured, got.Refunded, err, tt.want, tt.refd)
			}
		})
	}
}
