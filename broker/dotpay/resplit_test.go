package dotpay_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
)

// Dotpay's signature hashes operation_related_number, control, description
// and email run together: a genuine URLC of payment A whose email (the
// buyer's to choose) begins with payment B's id, re-split so that control
// is B's id, names B with a signature still valid. It must move no money.
func TestResplitURLCNamesNoOtherPayment(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	amount := getpaid.MustParseMoney("50.00", "PLN")
	a, b := f.pay(t, amount), f.pay(t, amount)
	genuine := with(payURLC(), "id", f.sim.Config().ShopID, "operation_amount", "50.00",
		"operation_withdrawal_amount", "49.00", "operation_commission_amount", "1.00",
		"operation_original_amount", "50.00", "control", a.ID, "description", "Zamówienie",
		"email", b.ID+"x@example.com")
	resplit := with(genuine, "operation_related_number", a.ID+"Zamówienie", "control", b.ID,
		"description", "", "email", "x@example.com")
	if dotpay.Signature(f.sim.Config().PIN, genuine) != dotpay.Signature(f.sim.Config().PIN, resplit) {
		t.Fatal("the re-split URLC is not signed alike")
	}
	res, err := f.eng.HandleCallback(context.Background(), "dotpay", urlcRequest(signed(f.sim.Config().PIN, resplit)))
	if !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Errorf("re-split URLC: %+v, %v; want it refused as malformed", res, err)
	}
	got, err := f.eng.Payment(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != b.Status || got.Captured != 0 {
		t.Fatalf("payment B, never paid, taken as paid by A's URLC: %s, captured %d", got.Status, got.Captured)
	}
	// A's own URLC still pays A.
	res, err = f.eng.HandleCallback(context.Background(), "dotpay", urlcRequest(signed(f.sim.Config().PIN, genuine)))
	if err != nil || res.Payment == nil || res.Payment.ID != a.ID || res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("A's URLC: %+v %v", res, err)
	}
}

// A related number's last characters moved into control, or the date's
// first ones moved into the related number, keep the signature: a refund
// or complaint of the payment numbered M1234-56789 would then name the one
// numbered M1234-5678 (control, now "9op_..." or "9pay_...", finds none of
// getpaid's payments, so the engine finds one by the related number). It
// must be refused; the genuine URLC is taken.
func TestResplitRelatedNumberNamesNoOtherPayment(t *testing.T) {
	t.Parallel()
	const op, pay = "op_01jd2m3n4p5q6r7s8t9v0w1x3z", "pay_01jd2m3n4p5q6r7s8t9v0w1x2y"
	b := newBroker(t, nil)
	refund := with(payURLC(), "control", op, "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-56789")
	for name, genuine := range map[string]map[string]string{
		"refund": refund, "panel refund": with(refund, "control", pay),
		"complaint": with(refund, "control", pay, "operation_type", "complaint"),
	} {
		o, err := b.ParseCallback(context.Background(), urlcRequest(signed(testPIN, genuine)))
		if err != nil || o.ExternalID != "M1234-56789" {
			t.Fatalf("%s: genuine URLC: %+v, %v", name, o, err)
		}
		for _, resplit := range []map[string]string{
			with(genuine, "operation_related_number", "M1234-5678", "control", "9"+genuine["control"]),
			with(genuine, "operation_datetime", "", "operation_related_number", "2026-03-01",
				"control", " 10:11:12M1234-56789"+genuine["control"]),
		} {
			if dotpay.Signature(testPIN, genuine) != dotpay.Signature(testPIN, resplit) {
				t.Fatalf("%s: the re-split URLC is not signed alike", name)
			}
			o, err := b.ParseCallback(context.Background(), urlcRequest(signed(testPIN, resplit)))
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Errorf("%s: re-split URLC naming %q accepted: %+v, %v", name, resplit["operation_related_number"], o, err)
			}
		}
	}
}

// The same move past an emptied control: the related number's last
// characters, control and what follows run on into the description (or the
// email) keep the signature, and with no control to look at the URLC named
// the payment numbered M1234-5678 (or M1234) by its related number. It
// must be refused. A genuine URLC without control (a refund whose control
// Dotpay did not echo, described as getpaid describes its refunds) is taken.
func TestResplitRelatedNumberPastEmptiedControl(t *testing.T) {
	t.Parallel()
	const op, pay = "op_01jd2m3n4p5q6r7s8t9v0w1x3z", "pay_01jd2m3n4p5q6r7s8t9v0w1x2y"
	b := newBroker(t, nil)
	refund := with(payURLC(), "control", op, "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-56789", "description", "Refund "+op)
	for name, genuine := range map[string]map[string]string{
		"refund": refund, "panel refund": with(refund, "control", pay, "description", "Zwrot"),
		"complaint":  with(refund, "control", pay, "operation_type", "complaint", "description", "Complaint"),
		"no control": with(refund, "control", ""),
	} {
		o, err := b.ParseCallback(context.Background(), urlcRequest(signed(testPIN, genuine)))
		if err != nil || o.ExternalID != "M1234-56789" {
			t.Fatalf("%s: genuine URLC: %+v, %v", name, o, err)
		}
		c, d, e := genuine["control"], genuine["description"], genuine["email"]
		for _, resplit := range []map[string]string{
			with(genuine, "operation_related_number", "M1234-5678", "control", "", "description", "9"+c+d),
			with(genuine, "operation_related_number", "M1234", "control", "", "description", "-56789"+c+d),
			with(genuine, "operation_related_number", "M1234-5678", "control", "", "description", "",
				"email", "9"+c+d+e),
		} {
			if dotpay.Signature(testPIN, genuine) != dotpay.Signature(testPIN, resplit) {
				t.Fatalf("%s: the re-split URLC is not signed alike", name)
			}
			o, err := b.ParseCallback(context.Background(), urlcRequest(signed(testPIN, resplit)))
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Errorf("%s: re-split URLC naming %q accepted: %+v, %v", name, resplit["operation_related_number"], o, err)
			}
		}
	}
}
