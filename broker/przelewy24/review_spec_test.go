package przelewy24_test

// Outside review: Przelewy24 notifications built by hand from its REST
// OpenAPI (TransactionResult, RefundNotification: sign = SHA-384 hex over
// the compact JSON of the listed keys in the listed order, PHP's
// JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES) with the published vectors
// of brokers.md §2.8 (the przelewy24-php SDK's refund vector; the derived
// transaction vector). Nothing here uses the package's own signing helpers.

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
)

func reviewSHA384(s string) string {
	sum := sha512.Sum384([]byte(s))
	return hex.EncodeToString(sum[:])
}

func reviewP24(t *testing.T, merchant, pos int, crc string) *przelewy24.Broker {
	t.Helper()
	b, err := przelewy24.New(przelewy24.Config{MerchantID: merchant, PosID: pos, CRC: crc, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Published vectors (brokers.md §2.8), checked against an independent hash first.
const (
	vecTrnJSON = `{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"originAmount":1000,"currency":"PLN","orderId":300000001,"methodId":25,"statement":"p24-A1-B2-C3","crc":"aef0aef0aef0aef0"}`
	vecTrnSign = "ecffb29b03a17defd770ae4041cbb73f7841e907454fd610de39ba66a1d05e3f7f0f04729c08447b6153af6f46c81524"
	vecRefJSON = `{"orderId":123456789,"sessionId":"0beec7","refundsUuid":"dda251","merchantId":12345,"amount":1500,"currency":"PLN","status":0,"crc":"bar"}`
	vecRefSign = "689010bfd5819bcf683ee0556c0412808b760063a6a66ed4d305d9d85b0bb16ab38bc8fcd0808c85f977f5a041344688"
	vecUniJSON = `{"slash":"foo/bar","unicode":"ąźćż"}`
	vecUniSign = "4e9e3bc8c346c7487dbd4a4b4c6b5ec4561685d9018b775980e362159e3d4436e971036c3b278a07d9dd233298f0e45d"
)

func TestReviewPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, v := range [][2]string{{vecTrnJSON, vecTrnSign}, {vecRefJSON, vecRefSign}, {vecUniJSON, vecUniSign}} {
		if got := reviewSHA384(v[0]); got != v[1] {
			t.Errorf("sha384(%s) = %s, want %s", v[0], got, v[1])
		}
	}
}

func TestReviewHandSignedTransactionNotification(t *testing.T) {
	t.Parallel()
	const base = `{"merchantId":11111,"posId":11111,"sessionId":"test7","amount":1000,"originAmount":1000,` +
		`"currency":"PLN","orderId":300000001,"methodId":25,"statement":"p24-A1-B2-C3","sign":"` + vecTrnSign + `"}`
	form := url.Values{"merchantId": {"11111"}, "posId": {"11111"}, "sessionId": {"test7"}, "amount": {"1000"},
		"originAmount": {"1000"}, "currency": {"PLN"}, "orderId": {"300000001"}, "methodId": {"25"},
		"statement": {"p24-A1-B2-C3"}, "sign": {vecTrnSign}}.Encode()
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"documented JSON", base, true},
		{"keys reordered", `{"sign":"` + vecTrnSign + `","orderId":300000001,"statement":"p24-A1-B2-C3","methodId":25,` +
			`"currency":"PLN","originAmount":1000,"amount":1000,"sessionId":"test7","posId":11111,"merchantId":11111}`, true},
		{"pretty printed", strings.ReplaceAll(strings.ReplaceAll(base, ",", ",\n  "), ":", ": "), true},
		{"form encoded", form, true},
		{"amount tampered", strings.Replace(base, `"amount":1000`, `"amount":1001`, 1), false},
		{"originAmount tampered", strings.Replace(base, `"originAmount":1000`, `"originAmount":100`, 1), false},
		{"sessionId tampered", strings.Replace(base, `"test7"`, `"test8"`, 1), false},
		{"orderId tampered", strings.Replace(base, `300000001`, `300000002`, 1), false},
		{"methodId tampered", strings.Replace(base, `"methodId":25`, `"methodId":26`, 1), false},
		{"statement tampered", strings.Replace(base, `p24-A1-B2-C3`, `p24-A1-B2-C4`, 1), false},
		{"sign upper case hex of another", strings.Replace(base, vecTrnSign, vecRefSign, 1), false},
		{"sign missing", strings.Replace(base, `,"sign":"`+vecTrnSign+`"`, ``, 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := reviewP24(t, 11111, 11111, "aef0aef0aef0aef0")
			obs, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Body: []byte(tc.body)})
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %+v", obs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obs.Kind != getpaid.KindCaptured || obs.PaymentID != "test7" || obs.ExternalID != "300000001" ||
				obs.Amount != (getpaid.Money{Minor: 1000, Currency: "PLN"}) {
				t.Fatalf("mapped to %+v", obs)
			}
		})
	}
}

func TestReviewHandSignedRefundNotification(t *testing.T) {
	t.Parallel()
	// OpenAPI RefundNotification: orderId, sessionId, merchantId, requestId,
	// refundsUuid, amount, currency, timestamp, status, sign (order of the
	// body is free; the sign covers orderId, sessionId, refundsUuid,
	// merchantId, amount, currency, status, crc).
	const base = `{"orderId":123456789,"sessionId":"0beec7","merchantId":12345,"requestId":"req-1","refundsUuid":"dda251",` +
		`"amount":1500,"currency":"PLN","timestamp":1600000000,"status":0,"sign":"` + vecRefSign + `"}`
	rejectedJSON := strings.Replace(vecRefJSON, `"status":0`, `"status":1`, 1)
	rejected := strings.Replace(strings.Replace(base, `"status":0`, `"status":1`, 1), vecRefSign, reviewSHA384(rejectedJSON), 1)
	tests := []struct {
		name, body string
		kind       getpaid.Kind
		sigErr     bool
	}{
		{"completed", base, getpaid.KindRefunded, false},
		{"rejected", rejected, getpaid.KindRefundFailed, false},
		{"status tampered", strings.Replace(base, `"status":0`, `"status":1`, 1), "", true},
		{"amount tampered", strings.Replace(base, `"amount":1500`, `"amount":15000`, 1), "", true},
		{"refundsUuid tampered", strings.Replace(base, `"dda251"`, `"dda252"`, 1), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := reviewP24(t, 12345, 12345, "bar")
			obs, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Body: []byte(tc.body)})
			if tc.sigErr {
				if !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Fatalf("want ErrSignatureInvalid, got obs=%+v err=%v", obs, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obs.Kind != tc.kind || obs.PaymentID != "0beec7" || obs.ExternalID != "123456789" ||
				obs.Amount != (getpaid.Money{Minor: 1500, Currency: "PLN"}) {
				t.Fatalf("mapped to %+v", obs)
			}
		})
	}
}

// The przelewy24-php SDK's own notifications (tests/TransactionStatusNotificationTest.php:
// merchant 12345, POS 123, CRC "bar"; tests/RefundNotificationTest.php: CRC
// "c4816521bf32ed54", merchant 235316), posted as Przelewy24 posts them.
func TestReviewSDKNotifications(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		merchant, pos    int
		crc, body, payID string
		kind             getpaid.Kind
		minor            int64
	}{
		{"transaction", 12345, 123, "bar", `{"merchantId":12345,"posId":123,"sessionId":"0beec7","amount":1500,"originAmount":1500,` +
			`"currency":"PLN","orderId":123456789,"methodId":32,"statement":"p24-XXX-YYY-ZZZ",` +
			`"sign":"703e946290d92230297c35d3bc8f554d4a458a4c97c9917665929c5ef5e682f7a868ac36e5dff20184c6a5302ef66c77"}`,
			"0beec7", getpaid.KindCaptured, 1500},
		{"refund", 235316, 235316, "c4816521bf32ed54", `{"orderId":4295430336,"sessionId":"1e715675-a42b-4d0b-81bb-f7288915be76",` +
			`"merchantId":235316,"requestId":"dae85bdc-1b8e-45bc-99be-43c6868dcc29","refundsUuid":"97920952-1d9b-4c90-9238-2b74ae0f48bb",` +
			`"amount":500,"currency":"PLN","timestamp":1697544677,"status":0,` +
			`"sign":"dad28db2e0336e595bc313e3c7282ab2ba2f265021f45b85271232901fefd4bc1329fd47aa4eb735ac818e2b82c4dc24"}`,
			"1e715675-a42b-4d0b-81bb-f7288915be76", getpaid.KindRefunded, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs, err := reviewP24(t, tc.merchant, tc.pos, tc.crc).ParseCallback(context.Background(),
				&getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			if obs.Kind != tc.kind || obs.PaymentID != tc.payID || obs.Amount != (getpaid.Money{Minor: tc.minor, Currency: "PLN"}) {
				t.Fatalf("mapped to %+v", obs)
			}
		})
	}
}

// A statement and sessionId with "/", Polish letters, a quote and a
// backslash: the sign JSON is PHP's json_encode with
// JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES, written out here by hand.
func TestReviewSignUnescapedSlashesAndUnicode(t *testing.T) {
	t.Parallel()
	signed := `{"merchantId":11111,"posId":11111,"sessionId":"zam/ó-1","amount":1000,"originAmount":1000,"currency":"PLN",` +
		`"orderId":300000001,"methodId":25,"statement":"p24/ZAŻÓŁĆ \"1\" \\ 2","crc":"aef0aef0aef0aef0"}`
	body := `{"merchantId":11111,"posId":11111,"sessionId":"zam\/\u00f3-1","amount":1000,"originAmount":1000,"currency":"PLN",` +
		`"orderId":300000001,"methodId":25,"statement":"p24/ZAŻÓŁĆ \"1\" \\ 2","sign":"` + reviewSHA384(signed) + `"}`
	obs, err := reviewP24(t, 11111, 11111, "aef0aef0aef0aef0").ParseCallback(context.Background(),
		&getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	if obs.PaymentID != "zam/ó-1" || obs.Kind != getpaid.KindCaptured {
		t.Fatalf("mapped to %+v", obs)
	}
}
