package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// The Standard Webhooks specification's published example (the same vector
// its reference libraries test against).
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSpecVector(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, specID, specTS, []byte(specBody)); got != specSig {
		t.Fatalf("Sign = %s, want %s", got, specSig)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, specID)
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(specTS))
	h.Set(webhook.HeaderSignature, specSig)
	id, err := webhook.Verify([]string{specSecret}, h, []byte(specBody), 0, time.Unix(specTS+10, 0))
	if err != nil || id != specID {
		t.Fatalf("Verify = %q, %v", id, err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	old, cur := webhook.NewSecret(), webhook.NewSecret()
	oldKey, _ := webhook.ParseSecret(old)
	curKey, _ := webhook.ParseSecret(cur)
	body := []byte(`{"type":"payment.status_changed"}`)
	now := time.Unix(1_800_000_000, 0)
	header := func(id string, ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, id)
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	rotating := webhook.SignatureHeader([][]byte{curKey, oldKey}, "evt_1", now.Unix(), body)
	tests := []struct {
		name    string
		secrets []string
		h       http.Header
		body    []byte
		want    error
	}{
		{"valid", []string{cur}, header("evt_1", now.Unix(), webhook.Sign(curKey, "evt_1", now.Unix(), body)), body, nil},
		{"rotation: the old secret still verifies", []string{old}, header("evt_1", now.Unix(), rotating), body, nil},
		{"rotation: so does the new one", []string{cur}, header("evt_1", now.Unix(), rotating), body, nil},
		{"receiver holding both secrets", []string{old, cur}, header("evt_1", now.Unix(), webhook.Sign(curKey, "evt_1", now.Unix(), body)), body, nil},
		{"another secret", []string{webhook.NewSecret()}, header("evt_1", now.Unix(), rotating), body, webhook.ErrSignature},
		{"tampered body", []string{cur}, header("evt_1", now.Unix(), rotating), []byte(`{"type":"payment.created"}`), webhook.ErrSignature},
		{"truncated body", []string{cur}, header("evt_1", now.Unix(), rotating), body[:10], webhook.ErrSignature},
		{"another id", []string{cur}, header("evt_2", now.Unix(), rotating), body, webhook.ErrSignature},
		{"replayed an hour later", []string{cur}, header("evt_1", now.Add(-time.Hour).Unix(), webhook.Sign(curKey, "evt_1", now.Add(-time.Hour).Unix(), body)), body, webhook.ErrTimestamp},
		{"from the future", []string{cur}, header("evt_1", now.Add(time.Hour).Unix(), webhook.Sign(curKey, "evt_1", now.Add(time.Hour).Unix(), body)), body, webhook.ErrTimestamp},
		{"no signature", []string{cur}, header("evt_1", now.Unix(), ""), body, webhook.ErrMissingHeaders},
		{"garbled timestamp", []string{cur}, header("evt_1", 0, rotating), body, webhook.ErrTimestamp},
		// An http.Header made from a plain map (a serverless event's
		// headers, lower-cased) is read all the same.
		{"lower-case header keys", []string{cur}, http.Header{"webhook-id": {"evt_1"}, "webhook-timestamp": {strconv.FormatInt(now.Unix(), 10)},
			"webhook-signature": {rotating}}, body, nil},
		{"v2 scheme ignored", []string{cur}, header("evt_1", now.Unix(), "v2,"+webhook.Sign(curKey, "evt_1", now.Unix(), body)[3:]), body, webhook.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.Verify(tt.secrets, tt.h, tt.body, 0, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
	if _, err := webhook.ParseSecret(webhook.NewSecret()); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(specID, "1614265330", specSig, []byte(specBody))
	f.Add("", "", "", []byte{})
	f.Add("x", "-1", "v1,", []byte("{"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(webhook.HeaderID, id)
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		got, err := webhook.Verify([]string{specSecret}, h, body, time.Hour*24*365*100, time.Unix(specTS, 0))
		if err == nil && (got != id || id != specID || string(body) != specBody) {
			t.Fatalf("accepted a message that is not the signed one: %q %q", id, body)
		}
	})
}
