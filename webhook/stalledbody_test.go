package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// Only the status of an answer counts: an endpoint that answers 200 and then
// never finishes its body has taken the event. The delivery succeeds, and
// before the attempt's deadline (the engine would record a timeout, and send
// it again, if Deliver waited for the body until then).
func TestStalledBodyAfterA2xxIsADelivery(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	const timeout = 4 * time.Second
	ep, err := webhook.New(webhook.Config{URL: srv.URL, Secrets: []string{webhook.NewSecret()}, Client: &http.Client{Timeout: timeout}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	status, err := ep.Deliver(ctx, sampleEvent())
	if status != http.StatusOK || err != nil {
		t.Fatalf("%d, %v; want 200 and a delivery", status, err)
	}
	if took := time.Since(start); took > timeout/2 {
		t.Fatalf("took %s waiting for the body: the attempt's deadline (%s) would come first", took, timeout)
	}
}
