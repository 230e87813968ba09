package przelewy24

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzVerifyAnswer: whatever Przelewy24 (or something in its place) answers
// 200 to transaction/verify, the notification is confirmed (the money
// accepted, the payment marked paid) only when the answer is Przelewy24's
// {"data":{"status":"success"}}; anything else fails with a
// *getpaid.BrokerError, and an answer without data (a proxy's page, empty,
// cut) is in doubt: Happened, since verify may have accepted the money, and
// Retryable. The committed seeds (testdata/fuzz) are the SDK's answer, an
// error status, data as a list and as text, and answers without data.
func FuzzVerifyAnswer(f *testing.F) {
	b, answer := answering(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "316", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN")}
		o := &getpaid.Observation{PaymentID: p.ID, ExternalID: "316", Kind: getpaid.KindCaptured, Amount: p.Amount,
			Full: true, BrokerStatus: statusNotification}
		err := b.ConfirmCallback(context.Background(), &getpaid.ConfirmRequest{Payment: p, Observation: o})
		// The answer read as Przelewy24 documents it, with encoding/json's
		// rules for what it does not (a key given twice: the last wins,
		// and a null leaves a string as it was).
		var doc struct {
			Data *struct {
				Status string `json:"status"`
			} `json:"data"`
		}
		isDoc := json.Unmarshal(body, &doc) == nil && doc.Data != nil
		if err == nil {
			if !isDoc || doc.Data.Status != "success" {
				t.Fatalf("answer %q confirmed the payment", body)
			}
			return
		}
		var be *getpaid.BrokerError
		if !errors.As(err, &be) {
			t.Fatalf("answer %q: unclassified error %v", body, err)
		}
		if !isDoc && (!be.Happened || !be.Retryable) {
			t.Fatalf("answer %q, not Przelewy24's, refused as %+v: want in doubt (Happened, Retryable)", body, be)
		}
	})
}

// FuzzRegisterAnswer: whatever Przelewy24 (or something in its place)
// answers 200 to transaction/register, the buyer is sent to
// Przelewy24's /trnRequest/ page of the answer's data.token, escaped into
// one path segment of the configured address (never another host); an
// answer without a token fails with a *getpaid.BrokerError in
// doubt (Happened, Retryable: Przelewy24 may have registered the
// transaction). The committed seeds (testdata/fuzz) are the SDK's answer,
// tokens with slashes, a query and a host, and answers without one.
func FuzzRegisterAnswer(f *testing.F) {
	b, answer := answering(f)
	base, err := url.Parse(b.base)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		answer(body)
		p := &getpaid.Payment{ID: "pay_1", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN"),
			Buyer: getpaid.Buyer{Email: "jan@example.com"}}
		got, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
		var doc struct {
			Data *struct {
				Token string `json:"token"`
			} `json:"data"`
		}
		isDoc := json.Unmarshal(body, &doc) == nil && doc.Data != nil
		if err != nil {
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Happened || !be.Retryable {
				t.Fatalf("answer %q refused as %v: want a BrokerError in doubt (Happened, Retryable)", body, err)
			}
			if isDoc && doc.Data.Token != "" {
				t.Fatalf("answer %q with token %q refused: %v", body, doc.Data.Token, err)
			}
			return
		}
		if !isDoc || doc.Data.Token == "" {
			t.Fatalf("answer %q, without a token, sent the buyer to %+v", body, got.Redirect)
		}
		u, err := url.Parse(got.Redirect.URL)
		if err != nil {
			t.Fatalf("answer %q: redirect %q: %v", body, got.Redirect.URL, err)
		}
		seg, ok := strings.CutPrefix(u.EscapedPath(), base.EscapedPath()+"/trnRequest/")
		if u.Scheme != base.Scheme || u.Host != base.Host || !ok || strings.Contains(seg, "/") ||
			u.RawQuery != "" || u.Fragment != "" || u.Path != base.Path+"/trnRequest/"+doc.Data.Token {
			t.Fatalf("answer %q (token %q) sent the buyer to %q", body, doc.Data.Token, got.Redirect.URL)
		}
	})
}
