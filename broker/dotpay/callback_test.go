package dotpay_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

func TestParseCallback(t *testing.T) {
	t.Parallel()
	pln := func(s string) getpaid.Money { return getpaid.MustParseMoney(s, "PLN") }
	refund := with(payURLC(), "operation_type", "refund", "operation_number", "M1234-9999",
		"operation_related_number", "M1234-5678", "operation_amount", "40.00", "operation_original_amount", "40.00")
	complaint := with(payURLC(), "operation_type", "complaint", "operation_number", "M1234-7777",
		"operation_related_number", "M1234-5678", "operation_amount", "50.00", "operation_original_amount", "50.00")
	tests := []struct {
		name string
		body []byte
		want *getpaid.Observation
	}{
		{"completed payment", signed(testPIN, payURLC()), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-5678:completed",
			Kind: getpaid.KindCaptured, Amount: pln("123.45"), Full: true, BrokerStatus: "payment completed"}},
		{"rejected payment", signed(testPIN, with(payURLC(), "operation_status", "rejected")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:rejected", Kind: getpaid.KindFailed, Amount: pln("123.45"),
			BrokerStatus: "payment rejected"}},
		{"processing payment", signed(testPIN, with(payURLC(), "operation_status", "processing")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:processing", Kind: getpaid.KindPending, Amount: pln("123.45"),
			BrokerStatus: "payment processing"}},
		{"realization waiting", signed(testPIN, with(payURLC(), "operation_status", "processing_realization_waiting")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:processing_realization_waiting", Kind: getpaid.KindPending,
			Amount: pln("123.45"), BrokerStatus: "payment processing_realization_waiting"}},
		{"new payment", signed(testPIN, with(payURLC(), "operation_status", "new")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:new", Kind: getpaid.KindNone, Amount: pln("123.45"),
			BrokerStatus: "payment new"}},
		{"paid in another currency", signed(testPIN, with(payURLC(), "operation_amount", "212.35",
			"operation_original_amount", "58.07", "operation_original_currency", "USD")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-5678:completed", Kind: getpaid.KindCaptured,
			Amount: getpaid.MustParseMoney("58.07", "USD"), Full: true, BrokerStatus: "payment completed"}},
		{"no original fields", signed(testPIN, with(payURLC(), "operation_original_amount", "", "operation_original_currency", "")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-5678:completed", Kind: getpaid.KindCaptured,
			Amount: pln("123.45"), Full: true, BrokerStatus: "payment completed"}},
		{"partial refund", signed(testPIN, refund), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-9999:completed", Kind: getpaid.KindRefunded,
			Amount: pln("40.00"), BrokerStatus: "refund completed", BrokerRef: "M1234-9999"}},
		{"refund with a minus sign", signed(testPIN, with(refund, "operation_original_amount", "-40.00")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-9999:completed", Kind: getpaid.KindRefunded,
			Amount: pln("40.00"), BrokerStatus: "refund completed", BrokerRef: "M1234-9999"}},
		{"rejected refund getpaid asked for", signed(testPIN, with(refund, "operation_status", "rejected", "control", "op_01hx")), &getpaid.Observation{
			ExternalID: "M1234-5678", EventID: "M1234-9999:rejected", Kind: getpaid.KindRefundFailed, OperationID: "op_01hx",
			Amount: pln("40.00"), BrokerStatus: "refund rejected", BrokerRef: "M1234-9999"}},
		{"rejected refund made in the panel", signed(testPIN, with(refund, "operation_status", "rejected")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-9999:rejected", Kind: getpaid.KindNone,
			Amount: pln("40.00"), BrokerStatus: "refund rejected"}},
		{"refund getpaid asked for", signed(testPIN, with(refund, "control", "op_01hx")), &getpaid.Observation{
			ExternalID: "M1234-5678", EventID: "M1234-9999:completed", Kind: getpaid.KindRefunded, OperationID: "op_01hx",
			Amount: pln("40.00"), BrokerStatus: "refund completed", BrokerRef: "M1234-9999"}},
		{"refund in progress", signed(testPIN, with(refund, "operation_status", "new")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-9999:new", Kind: getpaid.KindNone,
			Amount: pln("40.00"), BrokerStatus: "refund new"}},
		{"completed complaint", signed(testPIN, complaint), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:completed", Kind: getpaid.KindRefunded,
			Amount: pln("50.00"), BrokerStatus: "complaint completed", BrokerRef: "M1234-7777", Unrequested: true}},
		{"complaint with a minus sign", signed(testPIN, with(complaint, "operation_original_amount", "-50.00")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:completed", Kind: getpaid.KindRefunded,
			Amount: pln("50.00"), BrokerStatus: "complaint completed", BrokerRef: "M1234-7777", Unrequested: true}},
		{"complaint without control", signed(testPIN, with(complaint, "control", "")), &getpaid.Observation{
			ExternalID: "M1234-5678", EventID: "M1234-7777:completed", Kind: getpaid.KindRefunded,
			Amount: pln("50.00"), BrokerStatus: "complaint completed", BrokerRef: "M1234-7777", Unrequested: true}},
		{"new complaint", signed(testPIN, with(complaint, "operation_status", "new")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:new", Kind: getpaid.KindNone,
			Amount: pln("50.00"), BrokerStatus: "complaint new"}},
		{"complaint processing", signed(testPIN, with(complaint, "operation_status", "processing")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:processing", Kind: getpaid.KindNone,
			Amount: pln("50.00"), BrokerStatus: "complaint processing"}},
		{"rejected complaint", signed(testPIN, with(complaint, "operation_status", "rejected")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:rejected", Kind: getpaid.KindNone,
			Amount: pln("50.00"), BrokerStatus: "complaint rejected"}},
		{"unknown payment status", signed(testPIN, with(payURLC(), "operation_status", "lost")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:lost", Kind: getpaid.KindNone, Unrecognized: true,
			Amount: pln("123.45"), BrokerStatus: "payment lost"}},
		{"unknown refund status", signed(testPIN, with(refund, "operation_status", "lost")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-9999:lost", Kind: getpaid.KindNone,
			Unrecognized: true, Amount: pln("40.00"), BrokerStatus: "refund lost"}},
		{"unknown status of a refund getpaid asked for", signed(testPIN, with(refund, "operation_status", "lost", "control", "op_01hx")), &getpaid.Observation{
			ExternalID: "M1234-5678", EventID: "M1234-9999:lost", Kind: getpaid.KindNone, OperationID: "op_01hx",
			Unrecognized: true, Amount: pln("40.00"), BrokerStatus: "refund lost"}},
		{"unknown complaint status", signed(testPIN, with(complaint, "operation_status", "lost")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-7777:lost", Kind: getpaid.KindNone,
			Unrecognized: true, Amount: pln("50.00"), BrokerStatus: "complaint lost"}},
		{"payout is ignored", signed(testPIN, with(payURLC(), "operation_type", "payout", "operation_original_amount", "-5")), &getpaid.Observation{
			PaymentID: "pay_1", EventID: "M1234-5678:completed", Kind: getpaid.KindNone, BrokerStatus: "payout completed"}},
		{"card payment", signed(testPIN, with(payURLC(), "channel", "248", "credit_card_masked_number", "XXXX XXXX XXXX 1111",
			"credit_card_brand_codename", "visa", "credit_card_id", "abc")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-5678:completed", Kind: getpaid.KindCaptured,
			Amount: pln("123.45"), Full: true, BrokerStatus: "payment completed"}},
		{"JPY", signed(testPIN, with(payURLC(), "operation_original_amount", "1500.00", "operation_original_currency", "JPY")), &getpaid.Observation{
			PaymentID: "pay_1", ExternalID: "M1234-5678", EventID: "M1234-5678:completed", Kind: getpaid.KindCaptured,
			Amount: getpaid.Money{Minor: 1500, Currency: "JPY"}, Full: true, BrokerStatus: "payment completed"}},
	}
	b := newBroker(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.ParseCallback(context.Background(), urlcRequest(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("observation (-want +got):\n%s", d)
			}
			if err := b.VerifyCallback(context.Background(), urlcRequest(tc.body)); err != nil {
				t.Fatalf("VerifyCallback: %v", err)
			}
		})
	}
}

// Tampered, truncated, forged and unreadable URLCs are refused, classified.
func TestParseCallbackRefused(t *testing.T) {
	t.Parallel()
	good := signed(testPIN, payURLC())
	tamper := func(from, to string) []byte { return []byte(strings.Replace(string(good), from, to, 1)) }
	tests := []struct {
		name   string
		method string
		body   []byte
		want   error
	}{
		{"amount changed", "POST", tamper("operation_original_amount=123.45", "operation_original_amount=1.45"), getpaid.ErrSignatureInvalid},
		{"status changed", "POST", tamper("operation_status=completed", "operation_status=rejected"), getpaid.ErrSignatureInvalid},
		{"control changed", "POST", tamper("control=pay_1", "control=pay_2"), getpaid.ErrSignatureInvalid},
		{"field added to the signed list", "POST", append(append([]byte(nil), good...), "&operation_seller_code=X"...), getpaid.ErrSignatureInvalid},
		{"truncated before the signature", "POST", good[:strings.Index(string(good), "&signature=")], getpaid.ErrSignatureInvalid},
		{"truncated signature", "POST", good[:len(good)-10], getpaid.ErrSignatureInvalid},
		{"signed with another PIN", "POST", signed("another-pin-0000", payURLC()), getpaid.ErrSignatureInvalid},
		{"signed without the PIN", "POST", signed("", payURLC()), getpaid.ErrSignatureInvalid},
		{"another shop", "POST", signed(testPIN, with(payURLC(), "id", "654321")), getpaid.ErrSignatureInvalid},
		{"sent with GET", "GET", good, getpaid.ErrMalformedCallback},
		{"empty body", "POST", nil, getpaid.ErrMalformedCallback},
		{"bad form encoding", "POST", []byte("a=%zz"), getpaid.ErrMalformedCallback},
		{"field repeated", "POST", append([]byte("control=pay_9&"), good...), getpaid.ErrMalformedCallback},
		{"no operation number", "POST", signed(testPIN, with(payURLC(), "operation_number", "")), getpaid.ErrMalformedCallback},
		{"malformed amount", "POST", signed(testPIN, with(payURLC(), "operation_original_amount", "12,30")), getpaid.ErrMalformedCallback},
		{"JPY with a fraction", "POST", signed(testPIN, with(payURLC(), "operation_original_currency", "JPY")), getpaid.ErrMalformedCallback},
		{"unknown currency", "POST", signed(testPIN, with(payURLC(), "operation_original_currency", "XYZ")), getpaid.ErrMalformedCallback},
		{"complaint of nothing", "POST", signed(testPIN, with(payURLC(), "operation_type", "complaint", "operation_related_number", "M1234-5678", "operation_original_amount", "0.00")), getpaid.ErrMalformedCallback},
		{"refund of nothing", "POST", signed(testPIN, with(payURLC(), "operation_type", "refund", "operation_original_amount", "0.00")), getpaid.ErrMalformedCallback},
	}
	b := newBroker(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := urlcRequest(tc.body)
			req.Method = tc.method
			if o, err := b.ParseCallback(context.Background(), req); !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", o, err, tc.want)
			}
		})
	}
	if _, err := b.ParseCallback(context.Background(), nil); !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Errorf("nil request: %v", err)
	}
}

// The sheet's URLC vector verifies end to end with its PIN and shop.
func TestParseCallbackVector(t *testing.T) {
	t.Parallel()
	b, err := dotpay.New(dotpay.Config{ShopID: "123", PIN: "123"})
	if err != nil {
		t.Fatal(err)
	}
	body := "id=123&operation_number=MI-5&operation_type=payment&operation_status=completed&operation_amount=212.35" +
		"&operation_currency=PLN&operation_original_amount=58.07&operation_original_currency=USD" +
		"&operation_datetime=2018-02-28+12%3A00%3A00&control=1&description=Order+%231&email=user%40example.org" +
		"&p_info=John+Doe+%28seller%40example.com%29&p_email=seller%40example.com&channel=1" +
		"&signature=2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221"
	o, err := b.ParseCallback(context.Background(), urlcRequest([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindCaptured || o.Amount != getpaid.MustParseMoney("58.07", "USD") || o.PaymentID != "1" {
		t.Fatalf("%+v", o)
	}
}

func TestCallbackAckIsOK(t *testing.T) {
	t.Parallel()
	ct, body := newBroker(t, nil).CallbackAck()
	if string(body) != "OK" || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("%q %q", ct, body)
	}
}

func TestAllowCallbackFrom(t *testing.T) {
	t.Parallel()
	off, on := false, true
	tests := []struct {
		name    string
		tweak   func(*dotpay.Config)
		ip      string
		allowed bool
	}{
		{"production default, Dotpay", nil, "195.150.9.37", true},
		{"production default, Przelewy24", nil, "5.252.202.255", true},
		{"production default, Azure", nil, "20.215.81.124", true},
		{"production default, IPv4-mapped", nil, "::ffff:195.150.9.37", true},
		{"production default, stranger", nil, "203.0.113.7", false},
		{"production default, neighbour", nil, "195.150.9.38", false},
		{"production default, garbage", nil, "not-an-ip", false},
		{"production default, empty", nil, "", false},
		{"sandbox default", func(c *dotpay.Config) { c.Sandbox = true }, "203.0.113.7", true},
		{"sandbox, on", func(c *dotpay.Config) { c.Sandbox, c.IPAllowlist = true, &on }, "203.0.113.7", false},
		{"production, off", func(c *dotpay.Config) { c.IPAllowlist = &off }, "203.0.113.7", true},
	}
	for _, tc := range tests {
		if got := newBroker(t, tc.tweak).AllowCallbackFrom(tc.ip); got != tc.allowed {
			t.Errorf("%s: AllowCallbackFrom(%q) = %v", tc.name, tc.ip, got)
		}
	}
}

// A URLC repeated by Dotpay, late, or wrong for the payment never moves it
// twice, backwards or to paid.
func TestReplayedAndWrongURLCs(t *testing.T) {
	t.Parallel()
	b := newBroker(t, nil)
	parse := func(f map[string]string) *getpaid.Observation {
		o, err := b.ParseCallback(context.Background(), urlcRequest(signed(testPIN, f)))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("123.45", "PLN")}
	if changed, err := getpaid.Apply(p, parse(with(payURLC(), "operation_status", "processing"))); !changed || err != nil {
		t.Fatalf("processing: %v %v", changed, err)
	}
	if changed, err := getpaid.Apply(p, parse(payURLC())); !changed || err != nil || p.Status != getpaid.StatusPaid || p.ExternalID != "M1234-5678" {
		t.Fatalf("completed: %v %v %s", changed, err, p.Status)
	}
	before := *p
	for _, f := range []map[string]string{
		payURLC(), // repeated
		with(payURLC(), "operation_status", "processing"),    // late
		with(payURLC(), "operation_status", "rejected"),      // late and contradicting
		with(payURLC(), "operation_original_amount", "1.00"), // wrong amount
	} {
		changed, err := getpaid.Apply(p, parse(f))
		if changed || *p != before {
			t.Fatalf("%v moved the payment: %v %v", f, changed, err)
		}
	}
	q := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("123.45", "PLN")}
	for _, f := range []map[string]string{
		with(payURLC(), "operation_original_amount", "123.44"),
		with(payURLC(), "operation_original_amount", "123.46"),
		with(payURLC(), "operation_original_currency", "EUR"),
	} {
		if changed, err := getpaid.Apply(q, parse(f)); changed || !errors.Is(err, getpaid.ErrAmountMismatch) {
			t.Fatalf("%v: %v %v", f, changed, err)
		}
	}
	if q.Status != getpaid.StatusPrepared {
		t.Fatalf("status %s", q.Status)
	}
}

// IsNotificationSource tells Dotpay's addresses whatever ip_allowlist says
// (the HTTP layer never blocks them for refused callbacks).
func TestIsNotificationSource(t *testing.T) {
	t.Parallel()
	off, on := false, true
	for _, tweak := range []func(*dotpay.Config){
		nil, func(c *dotpay.Config) { c.IPAllowlist = &off }, func(c *dotpay.Config) { c.Sandbox = true },
		func(c *dotpay.Config) { c.Sandbox, c.IPAllowlist = true, &on },
	} {
		b := newBroker(t, tweak)
		for ip, want := range map[string]bool{"195.150.9.37": true, "5.252.202.254": true, "20.215.81.124": true,
			"::ffff:5.252.202.255": true, " 195.150.9.37 ": true, "195.150.9.38": false, "203.0.113.7": false, "": false, "x": false} {
			if got := b.IsNotificationSource(ip); got != want {
				t.Errorf("IsNotificationSource(%q) = %v, want %v", ip, got, want)
			}
		}
	}
}
