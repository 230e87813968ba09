package tpaynotify

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// The published vectors of brokers.md §3.4.
func TestMD5Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		id, trID, amount, crc, code string
		want                        string
	}{
		{"getpaid 1.x test [V]", "1234", "1", "123.45", "1", "AAAAAAAA", "21b028c2dbdcb9ca272d1cc67ed0574e"},
		{"derived [D]", "1010", "TR-ABC-123456", "10.00", "order_1", "demo", "6c54fdbd4731d36febb274fea8e923e1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MD5(tt.id, tt.trID, tt.amount, tt.crc, tt.code); got != tt.want {
				t.Fatalf("MD5 = %s, want %s", got, tt.want)
			}
			n := &Notification{ID: tt.id, TrID: tt.trID, TrAmount: tt.amount, TrCRC: tt.crc, MD5Sum: tt.want}
			if err := n.CheckMD5(tt.code); err != nil {
				t.Fatalf("CheckMD5: %v", err)
			}
			if err := n.CheckMD5(tt.code + "x"); !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("wrong code: %v", err)
			}
		})
	}
}

// Tpay's SDKs hash tr_amount reformatted with two decimals; getpaid 1.x hashed
// it as sent. A notification signed either way verifies; nothing else does.
func TestCheckMD5AmountSpellings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sent, hashed string
		ok           bool
	}{
		{"10.5", "10.50", true},
		{"10.5", "10.5", true},
		{"10.50", "10.5", false},
		{"10", "10.00", true},
		{"10.50", "10.51", false},
	} {
		n := &Notification{ID: "1010", TrID: "TR-1", TrAmount: tt.sent, TrCRC: "pay_1", MD5Sum: MD5("1010", "TR-1", tt.hashed, "pay_1", "code")}
		if err := n.CheckMD5("code"); (err == nil) != tt.ok {
			t.Errorf("sent %q hashed %q: err %v, want ok=%v", tt.sent, tt.hashed, err, tt.ok)
		}
	}
}

func TestParseNotification(t *testing.T) {
	t.Parallel()
	full := "id=1010&tr_id=TR-ABC-1&tr_date=2026-12-01+10%3A00%3A00&tr_crc=pay_1&tr_amount=10.00&tr_paid=10.00&tr_desc=Order+1&tr_status=TRUE&tr_error=none&tr_email=a%40b.pl&test_mode=1&md5sum=abc"
	n, err := ParseNotification([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	want := &Notification{ID: "1010", TrID: "TR-ABC-1", TrDate: "2026-12-01 10:00:00", TrCRC: "pay_1", TrAmount: "10.00",
		TrPaid: "10.00", TrDesc: "Order 1", TrStatus: "TRUE", TrError: "none", TrEmail: "a@b.pl", TestMode: "1", MD5Sum: "abc"}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Fatal(diff)
	}
	if got := string(n.Encode()); got != full {
		t.Fatalf("Encode:\n%s\nwant\n%s", got, full)
	}
	for name, body := range map[string]string{
		"empty":          "",
		"not a form":     "%zz",
		"repeated field": full + "&tr_paid=1.00",
		"no md5sum":      "id=1&tr_id=TR-1&tr_crc=c&tr_amount=1&tr_paid=1&tr_status=TRUE",
		"no tr_status":   "id=1&tr_id=TR-1&tr_crc=c&tr_amount=1&tr_paid=1&md5sum=x",
		"empty crc":      "id=1&tr_id=TR-1&tr_crc=&tr_amount=1&tr_paid=1&tr_status=TRUE&md5sum=x",
		"truncated":      full[:40],
		"json":           `{"tr_id":"TR-1"}`,
	} {
		if _, err := ParseNotification([]byte(body)); !errors.Is(err, getpaid.ErrMalformedCallback) {
			t.Errorf("%s: err = %v, want ErrMalformedCallback", name, err)
		}
	}
}

func TestObservation(t *testing.T) {
	t.Parallel()
	pln := func(s string) getpaid.Money { return getpaid.MustParseMoney(s, "PLN") }
	tests := []struct {
		name                             string
		status, trErr, amount, paid, cur string
		want                             *getpaid.Observation
		wantErr                          error
	}{
		{"paid", "TRUE", "none", "123.45", "123.45", "", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln("123.45"), Full: true,
			EventID: "TR-X:TRUE:123.45", BrokerStatus: "TRUE"}, nil},
		{"two-step paid", "PAID", "", "10.00", "10.00", "", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln("10.00"), Full: true,
			EventID: "TR-X:PAID:10.00", BrokerStatus: "PAID"}, nil},
		{"accepted overpayment", "TRUE", "overpay", "10.00", "12.00", "", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln("10.00"), Full: true,
			EventID: "TR-X:TRUE:12.00", BrokerStatus: "TRUE overpay"}, nil},
		{"accepted underpayment: partially paid", "TRUE", "surcharge", "10.00", "8.00", "", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln("8.00"),
			EventID: "TR-X:TRUE:8.00", BrokerStatus: "TRUE surcharge"}, nil},
		{"underpaid, not accepted: money held", "FALSE", "surcharge", "10.00", "8.00", "", &getpaid.Observation{Kind: getpaid.KindAdvance, Amount: pln("8.00"),
			EventID: "TR-X:FALSE:8.00:surcharge", BrokerStatus: "FALSE surcharge"}, nil},
		{"overpaid, not accepted: money held", "FALSE", "overpay", "10.00", "12.00", "", &getpaid.Observation{Kind: getpaid.KindAdvance, Amount: pln("12.00"),
			EventID: "TR-X:FALSE:12.00:overpay", BrokerStatus: "FALSE overpay"}, nil},
		{"failed", "FALSE", "none", "10.00", "0.00", "", &getpaid.Observation{Kind: getpaid.KindFailed, Amount: getpaid.Money{Currency: "PLN"},
			EventID: "TR-X:FALSE:0.00:none", BrokerStatus: "FALSE"}, nil},
		{"full chargeback", "CHARGEBACK", "none", "10.00", "10.00", "", &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: pln("10.00"),
			EventID: "TR-X:CHARGEBACK:10.00", BrokerStatus: "CHARGEBACK"}, nil},
		{"partial chargeback", "CHARGEBACK", "none", "10.00", "2.50", "", &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: pln("2.50"),
			EventID: "TR-X:CHARGEBACK:2.50", BrokerStatus: "CHARGEBACK"}, nil},
		{"chargeback of an accepted overpayment: the payment's amount", "CHARGEBACK", "none", "10.00", "12.00", "", &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: pln("10.00"),
			EventID: "TR-X:CHARGEBACK:10.00", BrokerStatus: "CHARGEBACK"}, nil},
		{"chargeback without tr_paid", "CHARGEBACK", "none", "10.00", "0", "", &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: pln("10.00"),
			EventID: "TR-X:CHARGEBACK:10.00", BrokerStatus: "CHARGEBACK"}, nil},
		{"euro account", "TRUE", "none", "5.00", "5.00", "EUR", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: getpaid.MustParseMoney("5.00", "EUR"), Full: true,
			EventID: "TR-X:TRUE:5.00", BrokerStatus: "TRUE"}, nil},
		{"lower-case status", "true", "", "1", "1", "", &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln("1.00"), Full: true,
			EventID: "TR-X:TRUE:1.00", BrokerStatus: "TRUE"}, nil},
		{"unknown status: nothing, unrecognized", "REFUND_PENDING", "", "1", "1", "", &getpaid.Observation{Kind: getpaid.KindNone, Unrecognized: true,
			Amount: getpaid.Money{Currency: "PLN"}, EventID: "TR-X:REFUND_PENDING:1.00", BrokerStatus: "REFUND_PENDING"}, nil},
		{"paid nothing", "TRUE", "", "1", "0", "", nil, getpaid.ErrMalformedCallback},
		{"amount with three decimals", "TRUE", "", "1.005", "1.005", "", nil, getpaid.ErrMalformedCallback},
		{"negative", "TRUE", "", "-1.00", "-1.00", "", nil, getpaid.ErrMalformedCallback},
		{"float spelling", "TRUE", "", "1e2", "1e2", "", nil, getpaid.ErrMalformedCallback},
		{"unknown currency", "TRUE", "", "1", "1", "XXX", nil, getpaid.ErrMalformedCallback},
		{"currency without cents", "TRUE", "", "1", "1", "JPY", nil, getpaid.ErrMalformedCallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := &Notification{ID: "1010", TrID: "TR-X", TrCRC: "pay_1", TrAmount: tt.amount, TrPaid: tt.paid,
				TrStatus: tt.status, TrError: tt.trErr, TrCurrency: tt.cur}
			o, err := n.Observation("PLN")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.PaymentID, tt.want.ExternalID = "pay_1", "TR-X"
			// tr_amount is the payment's amount, whatever was paid.
			tt.want.PaymentAmount, _ = ParseAmount(tt.amount, tt.want.Amount.Currency)
			if diff := cmp.Diff(tt.want, o); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestRefundEventID(t *testing.T) {
	t.Parallel()
	m := getpaid.MustParseMoney("2.50", "PLN")
	if got := RefundEventID("TR-X", m, 1); got != "TR-X:CHARGEBACK:2.50" {
		t.Fatal(got)
	}
	if got := RefundEventID("TR-X", m, 3); got != "TR-X:CHARGEBACK:2.50#3" {
		t.Fatal(got)
	}
}

// A form Tpay might send with its fields in another order or escaped
// differently parses the same.
func TestParseNotificationOrderFree(t *testing.T) {
	t.Parallel()
	v := url.Values{"md5sum": {"x"}, "tr_status": {"TRUE"}, "tr_paid": {"1"}, "tr_amount": {"1"}, "tr_crc": {"a b"}, "tr_id": {"TR-1"}, "id": {"1"}}
	n, err := ParseNotification([]byte(v.Encode()))
	if err != nil || n.TrCRC != "a b" {
		t.Fatalf("%+v %v", n, err)
	}
}

// The md5sum hashes id, tr_id, tr_amount and tr_crc run together: zeros moved
// across a boundary of tr_amount ("TR-ABC-10" + "10.00" sent as "TR-ABC-1" +
// "010.00"; "10.00" + "0ab" as "10.000" + "ab") keep a genuine md5sum valid
// and the amount's value unchanged, while the title, and with it the event
// id, changes: a genuine CHARGEBACK sent again so (without a JWS, which the
// legacy backend takes by default) would count twice. Tpay writes amounts
// without leading zeros and with at most two decimals, so such spellings are
// refused; the spellings Tpay and getpaid 1.x used still parse.
func TestNotificationAmountSpellings(t *testing.T) {
	t.Parallel()
	const code = "demo"
	genuine := func(trID, amount, crc string) *Notification {
		n := &Notification{ID: "1010", TrID: trID, TrCRC: crc, TrAmount: amount, TrPaid: amount,
			TrStatus: StatusChargeback, TrError: ErrorNone}
		n.Sign(code)
		return n
	}
	for _, tt := range []struct {
		name              string
		signed            *Notification
		trID, amount, crc string
		paid              string
		ok                bool
	}{
		{"as signed", genuine("TR-ABC-10", "10.00", "pay_1"), "TR-ABC-10", "10.00", "pay_1", "10.00", true},
		{"one decimal (getpaid 1.x hashed as sent)", genuine("TR-1", "10.5", "pay_1"), "TR-1", "10.5", "pay_1", "10.5", true},
		{"no decimals", genuine("TR-1", "10", "pay_1"), "TR-1", "10", "pay_1", "10", true},
		{"below one", genuine("TR-1", "0.50", "pay_1"), "TR-1", "0.50", "pay_1", "0.50", true},
		{"zero moved from tr_id into tr_amount", genuine("TR-ABC-10", "10.00", "pay_1"), "TR-ABC-1", "010.00", "pay_1", "10.00", false},
		{"zero moved from tr_crc into tr_amount", genuine("TR-1", "10.00", "0ab"), "TR-1", "10.000", "ab", "10.00", false},
		{"tr_paid with a leading zero", genuine("TR-1", "10.00", "pay_1"), "TR-1", "10.00", "pay_1", "010.00", false},
		{"tr_paid with three decimals", genuine("TR-1", "10.00", "pay_1"), "TR-1", "10.00", "pay_1", "10.000", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sent := *tt.signed
			sent.TrID, sent.TrAmount, sent.TrCRC, sent.TrPaid = tt.trID, tt.amount, tt.crc, tt.paid
			n, err := ParseNotification(sent.Encode())
			if err == nil {
				err = n.CheckMD5(code)
			}
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("err = %v, want ErrMalformedCallback (the md5sum still matches: %v)", err, sent.CheckMD5(code))
			}
		})
	}
}
