package main

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

func TestTermText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, lines string }{
		{"zwrot ąę", "zwrot ąę", "zwrot ąę"},
		{"\x1b[2J\rowned\x00", `\x1b[2J\rowned\x00`, `\x1b[2J\rowned\x00`},
		{"a\nb\tc\u0085", `a\nb\tc\u0085`, "a\nb\tc\\u0085"},
	} {
		if got := termText(tt.in); got != tt.want {
			t.Errorf("termText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := termLines(tt.in); got != tt.lines {
			t.Errorf("termLines(%q) = %q, want %q", tt.in, got, tt.lines)
		}
	}
}

// A broker's words reach the tools' output with their control characters
// escaped: Tpay's tr_error, which no md5sum covers, and an operation's
// error as a broker's answer left it. Printed raw, "\x1b[2J" cleared the
// operator's terminal and "\r" rewrote the line it was on.
func TestBrokerTextPrintedSafely(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  transferuj:\n    merchant_id: 1234\n    security_code: AAAAAAAA\n")
	// The published md5sum vector: tr_error is not in it.
	body := "id=1234&tr_id=1&tr_date=2012-12-12+12%3A12%3A12&tr_crc=1&tr_amount=123.45&tr_paid=1.00&tr_desc=x&tr_status=FALSE" +
		"&tr_error=%1b%5b2J%0downed%00&tr_email=a%40b.pl&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"
	code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "transferuj", "--header", "X-Other: 1")
	if code != 0 || strings.ContainsAny(out, "\x1b\r\x00") || !strings.Contains(out, `(FALSE \x1b[2j\rowned\x00)`) {
		t.Errorf("callback check: code %d out %q err %q", code, out, stderr)
	}

	path, srv := migratedRecords(t, "")
	ctx := context.Background()
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpFailed, Amount: p.Amount, IdempotencyKey: "k", RequestHash: getpaid.RequestHash(getpaid.OpRefund, nil),
		Error: "refused: \x1b]0;pwned\x07\x1b[2J", BrokerRef: "R\r1"}
	if _, err := srv.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "refund refused", Operation: &getpaid.OperationChange{New: op},
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	for _, verb := range []string{"show", "list"} {
		args := []string{"operations", verb, "--config", path}
		if verb == "show" {
			args = append(args, op.ID)
		}
		code, out, stderr := runCLI(t, "", args...)
		if code != 0 || strings.ContainsAny(out, "\x1b\r\x07") || !strings.Contains(out, `refused: \x1b]0;pwned\a\x1b[2J`) {
			t.Errorf("operations %s: code %d out %q err %q", verb, code, out, stderr)
		}
	}
}

// Whatever a broker sends, what the tools print of it holds no control
// character (termLines: none but newlines and tabs), and text without one is
// printed as it came.
func FuzzTermText(f *testing.F) {
	for _, s := range []string{"zwrot ąę", "\x1b[2J\rowned\x00", "a\nb\tc\u0085", "\x9b31m", "\xff\xfe", "\u202eevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			out   string
			allow func(rune) bool
		}{
			{termText(s), func(rune) bool { return false }},
			{termLines(s), func(r rune) bool { return r == '\n' || r == '\t' }},
		} {
			for _, r := range c.out {
				if unicode.IsControl(r) && !c.allow(r) {
					t.Fatalf("%q printed as %q: control %U left", s, c.out, r)
				}
			}
			if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !c.allow(r) }) && c.out != s {
				t.Fatalf("%q printed as %q: changed without a control character", s, c.out)
			}
		}
	})
}
