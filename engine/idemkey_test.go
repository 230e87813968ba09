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

// A key reused for another request is refused with a reason that tells the
// two requests apart: a refund of the whole (no amount) and one of that
// same amount are different requests, and "already used for another
// request (refund 20.00 PLN)" answering a refund of 20.00 PLN said the
// opposite of what it meant.
func TestReusedKeyNamesTheFirstRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		first, second *getpaid.Money
		want          string
	}{
		{"whole, then its amount", nil, money("20.00"), "already used for another request (refund of the whole amount, 20.00 PLN)"},
		{"an amount, then the whole", money("20.00"), nil, "already used for another request (refund 20.00 PLN)"},
		{"an amount, then another", money("5.00"), money("6.00"), "already used for another request (refund 5.00 PLN)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			p := e.pay("o-key", "20.00", "paid", getpaid.StatusPaid)
			if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: tc.first, IdempotencyKey: "k"}); err != nil {
				t.Fatalf("first refund: %v", err)
			}
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: tc.second, IdempotencyKey: "k"})
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "Idempotency-Key" || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("second refund: %v, want a FieldError on Idempotency-Key", err)
			}
			if fe.Reason != tc.want {
				t.Errorf("reason %q, want %q", fe.Reason, tc.want)
			}
			// said as every other refusal of the refund is: it came
			// back bare, "Idempotency-Key: already used …", naming no
			// payment in a library user's log
			if want := "engine: refund " + p.ID + ": Idempotency-Key: "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to begin %q", err, want)
			}
		})
	}
}

// A release or a cancel retried with its key and an amount is refused for
// the amount, which neither takes: it was refused as "already used for
// another request (release 100.00 PLN)", naming the very amount sent, as if
// the first request had differed.
func TestReusedKeyWithAnAmountRefusedForTheAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind getpaid.OperationKind
		want string
	}{
		{getpaid.OpRelease, "a release takes no amount: it gives back the whole hold"},
		{getpaid.OpCancel, "a cancel takes no amount: it cancels the whole payment"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			act := e.eng.Release
			if tc.kind == getpaid.OpCancel {
				act = e.eng.Cancel
			}
			var p *getpaid.Payment
			if tc.kind == getpaid.OpRelease {
				p = e.pay("o-key", "100.00", "pre_auth", getpaid.StatusPreAuth)
			} else { // only a payment not yet started is cancelled
				var err error
				if p, err = e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-key", Backend: "dummy",
					Amount: getpaid.MustParseMoney("100.00", "PLN"), ReturnURL: "https://shop.example/o"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"}); err != nil {
				t.Fatalf("first %s: %v", tc.kind, err)
			}
			_, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("100.00"), IdempotencyKey: "k"})
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "amount" || fe.Reason != tc.want || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("%s again with an amount: %v, want the amount refused: %q", tc.kind, err, tc.want)
			}
		})
	}
}
