package przelewy24

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

const testCRC = "aef0aef0aef0aef0"

func vectorNotification() notification {
	return notification{MerchantID: 11111, PosID: 11111, SessionID: "test7", Amount: 1000,
		OriginAmount: 1000, Currency: "PLN", OrderID: 300000001, MethodID: 25, Statement: "p24-A1-B2-C3"}
}

func notificationJSON(n notification, sign string) string {
	return fmt.Sprintf(`{"merchantId":%d,"posId":%d,"sessionId":%q,"amount":%d,"originAmount":%d,"currency":%q,"orderId":%d,"methodId":%d,"statement":%q,"sign":%q}`,
		n.MerchantID, n.PosID, n.SessionID, n.Amount, n.OriginAmount, n.Currency, n.OrderID, n.MethodID, n.Statement, sign)
}

func notificationForm(n notification, sign string) string {
	return url.Values{
		"merchantId": {fmt.Sprint(n.MerchantID)}, "posId": {fmt.Sprint(n.PosID)}, "sessionId": {n.SessionID},
		"amount": {fmt.Sprint(n.Amount)}, "originAmount": {fmt.Sprint(n.OriginAmount)}, "currency": {n.Currency},
		"orderId": {fmt.Sprint(n.OrderID)}, "methodId": {fmt.Sprint(n.MethodID)}, "statement": {n.Statement},
		"sign": {sign},
	}.Encode()
}

func refundJSON(r refundNotification, sign string) string {
	return fmt.Sprintf(`{"orderId":%d,"sessionId":%q,"merchantId":%d,"requestId":"req1","refundsUuid":%q,"amount":%d,"currency":%q,"timestamp":1700000000,"status":%d,"sign":%q}`,
		r.OrderID, r.SessionID, r.MerchantID, r.RefundsUUID, r.Amount, r.Currency, r.Status, sign)
}

func callback(contentType, body string) *getpaid.CallbackRequest {
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{"Content-Type": {contentType}},
		Body: []byte(body), RemoteIP: "5.252.202.254"}
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	good := vectorNotification()
	goodSign := good.sign(testCRC)
	partial := good
	partial.Amount = 400
	more := good
	more.Amount = 1500
	otherPos := good
	otherPos.PosID = 22222
	polish := good
	polish.Statement = "zapłata/ąę <&>"
	ref := refundNotification{OrderID: 300000001, SessionID: "test7", RefundsUUID: "ref_1", MerchantID: 11111, Amount: 300, Currency: "PLN"}
	rej := ref
	rej.Status = 1
	odd := ref
	odd.Status = 7
	paid := &getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "trn:300000001",
		Kind: getpaid.KindCaptured, Amount: getpaid.Money{Minor: 1000, Currency: "PLN"}, Full: true, BrokerStatus: "notification",
		PaymentAmount: getpaid.Money{Minor: 1000, Currency: "PLN"}, MustConfirm: true}
	tests := []struct {
		name    string
		req     *getpaid.CallbackRequest
		want    *getpaid.Observation
		wantErr error
	}{
		{"vector notification json", callback("application/json", notificationJSON(good, goodSign)), paid, nil},
		{"json without content type", callback("", notificationJSON(good, goodSign)), paid, nil},
		{"form encoded", callback("application/x-www-form-urlencoded", notificationForm(good, goodSign)), paid, nil},
		// Przelewy24 sends JSON; integrations report its Content-Type as a
		// form's: the body, not the label, says which it is.
		{"json labelled form-encoded", callback("application/x-www-form-urlencoded", notificationJSON(good, goodSign)), paid, nil},
		{"form labelled json", callback("application/json", notificationForm(good, goodSign)), paid, nil},
		{"json with charset", callback("application/json; charset=utf-8", notificationJSON(good, goodSign)), paid, nil},
		// A field the sign does not cover, of a shape not in the
		// specification, does not make a signed notification unreadable.
		{"unsigned extra object field", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"sign":`, `"extra":{"a":[1,true]},"flag":false,"sign":`, 1)), paid, nil},
		{"numbers as json strings", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"amount":1000`, `"amount":"1000"`, 1)), paid, nil},
		{"another amount than registered: an advance", callback("application/json", notificationJSON(partial, partial.sign(testCRC))),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "advance:300000001", Kind: getpaid.KindAdvance,
				Amount: getpaid.Money{Minor: 400, Currency: "PLN"}, BrokerStatus: "advance payment",
				PaymentAmount: getpaid.Money{Minor: 1000, Currency: "PLN"}, MustConfirm: true}, nil},
		{"more than registered: an advance", callback("application/json", notificationJSON(more, more.sign(testCRC))),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "advance:300000001", Kind: getpaid.KindAdvance,
				Amount: getpaid.Money{Minor: 1500, Currency: "PLN"}, BrokerStatus: "advance payment",
				PaymentAmount: getpaid.Money{Minor: 1000, Currency: "PLN"}, MustConfirm: true}, nil},
		{"polish statement and html characters", callback("application/json", notificationJSON(polish, polish.sign(testCRC))),
			paid, nil},
		{"tampered sign", callback("application/json", notificationJSON(good, strings.Repeat("0", 96))), nil, getpaid.ErrSignatureInvalid},
		{"tampered amount", callback("application/json", notificationJSON(partial, goodSign)), nil, getpaid.ErrSignatureInvalid},
		{"wrong crc", callback("application/json", notificationJSON(good, good.sign("other"))), nil, getpaid.ErrSignatureInvalid},
		{"other pos", callback("application/json", notificationJSON(otherPos, otherPos.sign(testCRC))), nil, getpaid.ErrSignatureInvalid},
		{"tampered form", callback("application/x-www-form-urlencoded", strings.Replace(notificationForm(good, goodSign), "amount=1000", "amount=1001", 1)), nil, getpaid.ErrSignatureInvalid},
		{"empty body", callback("application/json", ""), nil, getpaid.ErrMalformedCallback},
		{"malformed json", callback("application/json", `{"merchantId":`), nil, getpaid.ErrMalformedCallback},
		{"trailing data", callback("application/json", notificationJSON(good, goodSign)+"{}"), nil, getpaid.ErrMalformedCallback},
		{"trailing brace", callback("application/json", notificationJSON(good, goodSign)+"}"), nil, getpaid.ErrMalformedCallback},
		{"trailing bracket and text", callback("application/json", notificationJSON(good, goodSign)+"]garbage"), nil, getpaid.ErrMalformedCallback},
		{"no sign", callback("application/json", `{"merchantId":11111}`), nil, getpaid.ErrMalformedCallback},
		{"missing statement", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"statement":"p24-A1-B2-C3",`, "", 1)), nil, getpaid.ErrMalformedCallback},
		{"float amount", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"amount":1000`, `"amount":10.00`, 1)), nil, getpaid.ErrMalformedCallback},
		{"negative amount", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"amount":1000`, `"amount":-1000`, 1)), nil, getpaid.ErrMalformedCallback},
		{"object field", callback("application/json", strings.Replace(notificationJSON(good, goodSign), `"amount":1000`, `"amount":{}`, 1)), nil, getpaid.ErrMalformedCallback},
		{"repeated form field", callback("application/x-www-form-urlencoded", notificationForm(good, goodSign)+"&amount=1000"), nil, getpaid.ErrMalformedCallback},
		{"refund completed", callback("application/json", refundJSON(ref, ref.sign(testCRC))),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "refund:ref_1:300000001",
				Kind: getpaid.KindRefunded, Amount: getpaid.Money{Minor: 300, Currency: "PLN"}, BrokerStatus: "refund completed"}, nil},
		{"refund echoing its operation", callback("application/json", strings.Replace(refundJSON(ref, ref.sign(testCRC)), `"requestId":"req1"`, `"requestId":"ref_1"`, 1)),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "refund:ref_1:300000001",
				Kind: getpaid.KindRefunded, Amount: getpaid.Money{Minor: 300, Currency: "PLN"}, BrokerStatus: "refund completed", OperationID: "ref_1"}, nil},
		{"refund rejected", callback("application/json", refundJSON(rej, rej.sign(testCRC))),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "refund:ref_1:300000001:rejected",
				Kind: getpaid.KindRefundFailed, Amount: getpaid.Money{Minor: 300, Currency: "PLN"}, BrokerStatus: "refund rejected"}, nil},
		{"refund tampered", callback("application/json", refundJSON(rej, ref.sign(testCRC))), nil, getpaid.ErrSignatureInvalid},
		{"refund unknown status: nothing, unrecognized", callback("application/json", refundJSON(odd, odd.sign(testCRC))),
			&getpaid.Observation{PaymentID: "test7", ExternalID: "300000001", EventID: "refund:ref_1:300000001:status-7",
				Kind: getpaid.KindNone, Amount: getpaid.Money{Minor: 300, Currency: "PLN"}, BrokerStatus: "refund status 7", Unrecognized: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.ParseCallback(context.Background(), tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if *got != *tc.want {
				t.Errorf("observation\n got %+v\nwant %+v", *got, *tc.want)
			}
		})
	}
}
