package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
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
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
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

// The room the bench prints with --webhook: each delivered event is an
// HTTP exchange costing a quarter of the ceiling's lifecycle, on top of a
// lifecycle without the endpoint, within the cores' CPU.
func TestDeliveryRoom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                                        string
		events, ceilingUS, plainUS, plainRate, kept float64
		cores                                       int
		want                                        string
	}{
		// 1,500/s at 1,109 µs used 83% of 2 cores; 1,109 + 3×123 µs fit
		// 1,353 a second: 90% of 1,500.
		{"three events per lifecycle", 3, 492, 1109, 1500, 0.69, 2,
			"got 3.0 events per lifecycle and kept 69% of the lifecycles; their HTTP exchanges alone (123 µs each, both ends, as the ceiling's) leave room for at most 90% on 2 cores (the run without them used 83% of the cores)"},
		// 2,000/s at 900 µs used 90%; 1,000 µs each fit exactly 2,000.
		{"one event, the cores then full", 1, 400, 900, 2000, 0.9, 2,
			"got 1.0 events per lifecycle and kept 90% of the lifecycles; their HTTP exchanges alone (100 µs each, both ends, as the ceiling's) leave room for at most 100% on 2 cores (the run without them used 90% of the cores)"},
		// Half the cores idle: room for all of them, not 200%.
		{"idle cores", 1, 400, 900, 1000, 0.95, 2,
			"got 1.0 events per lifecycle and kept 95% of the lifecycles; their HTTP exchanges alone (100 µs each, both ends, as the ceiling's) leave room for at most 100% on 2 cores (the run without them used 45% of the cores)"},
		{"four cores", 3, 492, 1109, 3000, 0.7, 4,
			"got 3.0 events per lifecycle and kept 70% of the lifecycles; their HTTP exchanges alone (123 µs each, both ends, as the ceiling's) leave room for at most 90% on 4 cores (the run without them used 83% of the cores)"},
		{"no CPU figures", 3, 0, 0, 1500, 0.7, 2, "got 3.0 events per lifecycle and kept 70% of the lifecycles"},
		{"no rate", 3, 492, 1109, 0, 0.7, 2, "got 3.0 events per lifecycle and kept 70% of the lifecycles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := deliveryRoom(tc.events, tc.ceilingUS, tc.plainUS, tc.plainRate, tc.cores, tc.kept); got != tc.want {
				t.Errorf("deliveryRoom:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
