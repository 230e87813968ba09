package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// The bench's receiver counts an event once however often it comes, its
// age at the first arrival, and refuses what does not verify.
func TestBenchReceiver(t *testing.T) {
	t.Parallel()
	h, err := startBenchReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	key, err := webhook.ParseSecret(h.secret)
	if err != nil {
		t.Fatal(err)
	}
	send := func(id string, at time.Time, sign bool) int {
		body, _ := json.Marshal(webhook.Payload{Type: "payment.status_changed", Timestamp: at, Data: webhook.PayloadData{EventID: id}})
		req, _ := http.NewRequest("POST", h.url, bytes.NewReader(body))
		ts := time.Now().Unix()
		req.Header.Set(webhook.HeaderID, id)
		req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		sig := webhook.Sign(key, id, ts, body)
		if !sign {
			sig = "v1,AAAA"
		}
		req.Header.Set(webhook.HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	old := time.Now().Add(-2 * time.Second)
	if code := send("evt_1", old, true); code != http.StatusNoContent {
		t.Fatalf("a good webhook: %d", code)
	}
	send("evt_1", old, true)
	send("evt_2", time.Now(), true)
	if code := send("evt_3", time.Now(), false); code != http.StatusBadRequest {
		t.Fatalf("a forged webhook: %d", code)
	}
	s := h.take()
	if s.events != 2 || s.repeats != 1 || s.bad != 1 || s.max < 2*time.Second {
		t.Fatalf("stats %+v; want 2 events, 1 repeat, 1 bad, the oldest at least 2 s late", s)
	}
	if s = h.take(); s.events != 0 {
		t.Fatalf("take starts afresh: %+v", s)
	}
}
