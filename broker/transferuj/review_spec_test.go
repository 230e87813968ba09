package transferuj_test

// Written from the legacy documentation alone (tpay-php's
// BasicNotificationHandler and BasicFieldsDictionary: md5sum = md5(id +
// tr_id + tr_amount + tr_crc + security code), the amount with two
// decimals), with the md5sum computed here by hand.

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
)

func TestReviewLegacyMD5ByHand(t *testing.T) {
	t.Parallel()
	b, err := transferuj.New(transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("1234" + "1" + "123.45" + "1" + "AAAAAAAA"))
	if got := hex.EncodeToString(sum[:]); got != "21b028c2dbdcb9ca272d1cc67ed0574e" {
		t.Fatalf("brokers.md 3.4 vector: %s", got)
	}
	fields := url.Values{"id": {"1234"}, "tr_id": {"1"}, "tr_date": {"2012-12-12 12:12:12"}, "tr_crc": {"1"}, "tr_amount": {"123.45"},
		"tr_paid": {"123.45"}, "tr_desc": {"x"}, "tr_status": {"TRUE"}, "tr_error": {"none"}, "tr_email": {"a@b.pl"},
		"md5sum": {hex.EncodeToString(sum[:])}}
	with := func(k, v string) []byte {
		f := url.Values{}
		for kk, vv := range fields {
			f[kk] = vv
		}
		f.Set(k, v)
		return []byte(f.Encode())
	}
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
	}{
		{"as signed", []byte(fields.Encode()), true},
		{"id changed", with("id", "1235"), false},
		{"tr_id changed", with("tr_id", "2"), false},
		{"tr_amount changed", with("tr_amount", "123.46"), false},
		{"tr_crc changed", with("tr_crc", "2"), false},
		{"md5sum of another code", with("md5sum", func() string { s := md5.Sum([]byte("12341123.451BBBBBBBB")); return hex.EncodeToString(s[:]) }()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Body: tc.body})
			if tc.ok {
				if err != nil || o.PaymentID != "1" || o.Kind != getpaid.KindCaptured || o.Amount.Minor != 12345 {
					t.Fatalf("%+v, %v", o, err)
				}
				return
			}
			if !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("%+v, %v; want ErrSignatureInvalid", o, err)
			}
		})
	}
}
