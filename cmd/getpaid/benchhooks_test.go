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

// The floor the bench prints with --webhook: each delivered event is an
// HTTP exchange costing at least a quarter of the ceiling's lifecycle.
func TestDeliveryFloor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                             string
		events, ceilingUS, plainUS, kept float64
		want                             string
	}{
		{"three events per lifecycle", 3, 492, 1109, 0.69,
			"got 3.0 events per lifecycle and kept 69% of the lifecycles; their HTTP exchanges alone (123 µs each, both ends, as the ceiling's) leave at most 75% on a CPU-bound machine"},
		{"one event", 1, 400, 900, 0.9,
			"got 1.0 events per lifecycle and kept 90% of the lifecycles; their HTTP exchanges alone (100 µs each, both ends, as the ceiling's) leave at most 90% on a CPU-bound machine"},
		{"no CPU figures", 3, 0, 0, 0.7, "got 3.0 events per lifecycle and kept 70% of the lifecycles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := deliveryFloor(tc.events, tc.ceilingUS, tc.plainUS, tc.kept); got != tc.want {
				t.Errorf("deliveryFloor:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
