package tpay

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A refund whose answer was lost is judged by the money: found only when
// Tpay's refunds and the payment's records leave one reading.
func TestMatchLost(t *testing.T) {
	t.Parallel()
	rf := func(id, amount, status string) refund {
		return refund{RefundID: id, Amount: Amount(amount), Status: status}
	}
	const found, notFound, operator = "found", "not found", "operator"
	tests := []struct {
		name             string
		list             []refund
		refunded, asked  int64
		want             string
		kind             getpaid.Kind
		event, brokerRef string
	}{
		{"nothing at Tpay", nil, 0, 500, notFound, "", "", ""},
		{"only a cancelled refund", []refund{rf("rf_1", "5.00", "canceled")}, 0, 500, notFound, "", "", ""},
		{"made, not yet notified", []refund{rf("rf_1", "5.00", "correct")}, 0, 500, found, getpaid.KindRefunded, "TR-1:CHARGEBACK:5.00", "rf_1"},
		{"made, its CHARGEBACK recorded first", []refund{rf("rf_1", "5.00", "correct")}, 500, 0, found, getpaid.KindRefunded, "TR-1:CHARGEBACK:5.00", "rf_1"},
		{"made, still pending", []refund{rf("rf_1", "5.00", "pending")}, 0, 500, found, getpaid.KindRefundStarted, "refund-start:op_1", "rf_1"},
		{"made, in a status getpaid does not know", []refund{rf("rf_1", "5.00", "queued")}, 0, 500, operator, "", "", ""},
		{"another amount recorded, this one made", []refund{rf("rf_0", "3.00", "correct"), rf("rf_1", "5.00", "correct")}, 300, 500, found, getpaid.KindRefunded, "TR-1:CHARGEBACK:5.00", "rf_1"},
		{"a panel refund of the amount recorded before, this one never made", []refund{rf("rf_0", "5.00", "correct")}, 500, 500, notFound, "", "", ""},
		{"two refunds of the amount", []refund{rf("rf_0", "5.00", "correct"), rf("rf_1", "5.00", "correct")}, 500, 500, operator, "", "", ""},
		{"another refund in flight", []refund{rf("rf_1", "5.00", "correct")}, 0, 800, operator, "", "", ""},
		{"more unrecorded than this refund", []refund{rf("rf_0", "3.00", "correct"), rf("rf_1", "5.00", "correct")}, 0, 500, operator, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("50.00", "PLN"), Captured: 5000, Refunded: tt.refunded, RefundAsked: tt.asked}
			op := &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: getpaid.MustParseMoney("5.00", "PLN")}
			o, err := matchLost(p, op, "TR-1", tt.list, nil)
			switch tt.want {
			case notFound:
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("%+v, %v; want ErrNotFound", o, err)
				}
			case operator:
				if err == nil || errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("%+v, %v; want an error for an operator", o, err)
				}
			default:
				if err != nil || o.Kind != tt.kind || o.EventID != tt.event || o.BrokerRef != tt.brokerRef || o.OperationID != op.ID || o.Amount != op.Amount {
					t.Fatalf("%+v, %v", o, err)
				}
			}
		})
	}
}

// Tpay documents no list of refund statuses: a word refundState does not
// know is neither a success nor a failure.
func TestRefundState(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]getpaid.Kind{
		"correct": getpaid.KindRefunded, "": getpaid.KindRefunded, "DONE": getpaid.KindRefunded,
		"pending": getpaid.KindRefundStarted, " Processing ": getpaid.KindRefundStarted,
		"canceled": getpaid.KindRefundFailed, "rejected": getpaid.KindRefundFailed, "ERROR": getpaid.KindRefundFailed,
		"queued": getpaid.KindNone, "on_hold": getpaid.KindNone, "correctish": getpaid.KindNone,
	} {
		if got := refundState(status); got != want {
			t.Errorf("refundState(%q) = %q, want %q", status, got, want)
		}
	}
}

// What an operator reads of a refund left to them says why: other refunds
// in flight only when there are some.
func TestMatchLostSaysWhy(t *testing.T) {
	t.Parallel()
	rf := func(id string) refund { return refund{RefundID: id, Amount: "5.00", Status: "correct"} }
	tests := []struct {
		name            string
		list            []refund
		refunded, asked int64
		says, not       string
	}{
		{"two refunds of the amount, nothing else asked", []refund{rf("rf_0"), rf("rf_1")}, 500, 500, "Tpay lists 2 refunds of 5.00 PLN", "in flight"},
		{"another refund in flight", []refund{rf("rf_1")}, 0, 800, "other refunds of the payment are in flight", "lists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("50.00", "PLN"), Captured: 5000, Refunded: tt.refunded, RefundAsked: tt.asked}
			op := &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: getpaid.MustParseMoney("5.00", "PLN")}
			_, err := matchLost(p, op, "TR-1", tt.list, nil)
			if err == nil || !strings.Contains(err.Error(), tt.says) || strings.Contains(err.Error(), tt.not) {
				t.Fatalf("%v; want it to say %q, not %q", err, tt.says, tt.not)
			}
		})
	}
}

// A refund an operator resolved as done, of 5.00, looked up for a
// CHARGEBACK of 5.00 (fact): a repeat when every refund Tpay has done is
// recorded; the panel refund when Tpay has done one more than recorded
// and than getpaid may have done and not recorded yet.
func TestMatchLostResolved(t *testing.T) {
	t.Parallel()
	rf := func(id, amount, status string) refund {
		return refund{RefundID: id, Amount: Amount(amount), Status: status}
	}
	const first, second = "TR-1:CHARGEBACK:5.00", "TR-1:CHARGEBACK:5.00#2"
	tests := []struct {
		name            string
		list            []refund
		refunded, asked int64
		fact            string
		want            string // the event id reported, "" for an error
	}{
		{"another of its amount since, counted under the first id", []refund{rf("rf_1", "5.00", "correct"), rf("rf_2", "5.00", "correct")}, 1000, 0, second, second},
		{"getpaid's of its amount since, counted under its own", []refund{rf("rf_1", "5.00", "correct"), rf("rf_2", "5.00", "correct")}, 1000, 0, first, first},
		{"a panel refund of its amount", []refund{rf("rf_1", "5.00", "correct"), rf("rf_2", "5.00", "correct")}, 500, 0, first, second},
		{"a panel refund beside another refund pending", []refund{rf("rf_1", "5.00", "correct"), rf("rf_x", "8.00", "pending"), rf("rf_2", "5.00", "correct")}, 500, 800, first, second},
		{"getpaid's of its amount done, its answer on its way", []refund{rf("rf_1", "5.00", "correct"), rf("rf_2", "5.00", "correct")}, 500, 500, first, ""},
		{"getpaid's of its amount pending", []refund{rf("rf_1", "5.00", "correct"), rf("rf_2", "5.00", "pending")}, 500, 500, first, first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("50.00", "PLN"), Captured: 5000, Refunded: tt.refunded, RefundAsked: tt.asked}
			op := &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, State: getpaid.OpSucceeded, ResolvedBy: "ops", Amount: getpaid.MustParseMoney("5.00", "PLN")}
			fact := &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: op.Amount, EventID: tt.fact}
			o, err := matchLost(p, op, "TR-1", tt.list, fact)
			switch {
			case tt.want == "" && err == nil:
				t.Fatalf("%+v; want an error (held back)", o)
			case tt.want != "" && (err != nil || o.EventID != tt.want || o.Kind != getpaid.KindRefunded):
				t.Fatalf("%+v %v; want refunded %s", o, err, tt.want)
			}
		})
	}
}
