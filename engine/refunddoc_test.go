package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// Refund's doc says what each outcome looks like to the caller, and the
// outcomes are those: the doc only said how a refund is checked, so a shop
// had no word that a nil error may be a refund still pending at the broker,
// which error says "the broker refused" and which "do not refund again".
func TestRefundOutcomesAreTheDocumentedOnes(t *testing.T) {
	t.Parallel()
	doc := methodDoc(t, "Refund")
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	paid := e.pay("o-paid", "10.00", "paid", getpaid.StatusPaid)
	held := e.pay("o-held", "10.00", "pre_auth", getpaid.StatusPreAuth)
	eur := getpaid.MustParseMoney("1.00", "EUR")
	tests := []struct {
		name  string
		req   getpaid.ActionRequest
		fault string
		check func(*getpaid.ActionResult, error) bool
		names []string // what the doc must name for this outcome
	}{
		{"done", getpaid.ActionRequest{PaymentID: paid.ID, Amount: money("1.00")}, "",
			func(r *getpaid.ActionResult, err error) bool {
				return err == nil && r.Operation.State == getpaid.OpSucceeded
			},
			[]string{"OpSucceeded", "OpPending"}},
		{"nothing captured", getpaid.ActionRequest{PaymentID: held.ID}, "",
			func(_ *getpaid.ActionResult, err error) bool {
				var te *getpaid.TransitionError
				return errors.As(err, &te)
			}, []string{"TransitionError"}},
		{"another currency", getpaid.ActionRequest{PaymentID: paid.ID, Amount: &eur}, "",
			func(_ *getpaid.ActionResult, err error) bool {
				var fe *getpaid.FieldError
				return errors.As(err, &fe) && errors.Is(err, getpaid.ErrInvalidAmount)
			}, []string{"FieldError", "ErrInvalidAmount"}},
		{"unknown payment", getpaid.ActionRequest{PaymentID: "pay_nope"}, "",
			func(_ *getpaid.ActionResult, err error) bool { return errors.Is(err, getpaid.ErrNotFound) },
			[]string{"ErrNotFound"}},
		{"answer lost", getpaid.ActionRequest{PaymentID: paid.ID, Amount: money("1.00"), IdempotencyKey: "lost"}, dummy.FaultTimeoutAfter,
			func(_ *getpaid.ActionResult, err error) bool {
				var oe *getpaid.OperationError
				return errors.As(err, &oe) && errors.Is(err, getpaid.ErrOperationInDoubt)
			}, []string{"OperationError", "ErrOperationInDoubt", "ErrOperationFailed", "IdempotencyKey"}},
		{"answer lost, asked again with its key", getpaid.ActionRequest{PaymentID: paid.ID, Amount: money("1.00"), IdempotencyKey: "lost"}, "",
			func(_ *getpaid.ActionResult, err error) bool {
				n, _ := e.d.Refunds(paid.ID) // the first and the lost one: not a third
				return errors.Is(err, getpaid.ErrOperationInDoubt) && n == 2
			}, []string{"same IdempotencyKey"}},
	}
	for _, tc := range tests { // in turn: they share the dummy's fault switch
		t.Run(tc.name, func(t *testing.T) {
			_ = e.d.SetFault(tc.fault)
			defer func() { _ = e.d.SetFault(dummy.FaultNone) }()
			res, err := e.eng.Refund(ctx, tc.req)
			if !tc.check(res, err) {
				t.Fatalf("Refund = %+v, %v", res, err)
			}
			for _, n := range tc.names {
				if !strings.Contains(doc, n) {
					t.Errorf("Refund's doc does not name %s:\n%s", n, doc)
				}
			}
		})
	}
}
