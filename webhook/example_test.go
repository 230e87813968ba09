package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// A merchant's handler for getpaid's webhooks: verify the raw body with the
// endpoint's secret (both secrets while rotating), then dedupe by the
// webhook id and act on the payload.
func ExampleVerify() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // from getpaid.yaml's webhooks entry
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		id, err := webhook.Verify([]string{secret}, r.Header, body, webhook.DefaultTolerance, time.Now())
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// Handle it once per id (getpaid retries until it gets a 2xx).
		fmt.Println("verified", id)
		w.WriteHeader(http.StatusNoContent)
	})

	// What getpaid sends (here signed by hand, as getpaid does).
	key, _ := webhook.ParseSecret(secret)
	body := `{"type":"payment.status_changed","timestamp":"2026-12-01T10:00:00Z","data":{"event_id":"evt_1"}}`
	now := time.Now().Unix()
	req := httptest.NewRequest("POST", "/hooks/getpaid", strings.NewReader(body))
	req.Header.Set(webhook.HeaderID, "evt_1")
	req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(now))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(key, "evt_1", now, []byte(body)))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// verified evt_1
	// 204
}
