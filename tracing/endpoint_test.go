package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/tracing"
)

// TestEndpointWithCredentialsRefused: an OTLP endpoint carrying a user and
// password (http://user:secret@collector:4318) or a query (…?api_key=…)
// was taken, and the exporter sends neither (it keeps the host and the
// path): exports went out unauthenticated while getpaid serve logged the
// endpoint, password included. Both are refused, pointing at headers.
func TestEndpointWithCredentialsRefused(t *testing.T) {
	t.Parallel()
	for _, ep := range []string{
		"http://user:secret@127.0.0.1:4318",
		"https://user@collector.example:4318/v1/traces",
		"http://127.0.0.1:4318/v1/traces?api_key=secret",
		"http://127.0.0.1:4318/#frag",
	} {
		tr, err := tracing.Start(context.Background(), tracing.Config{Endpoint: ep})
		if err == nil {
			_ = tr.Shutdown(context.Background())
			t.Errorf("endpoint %q was taken", ep)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("endpoint %q: the error repeats the secret: %v", ep, err)
		}
		if !strings.Contains(err.Error(), "headers") {
			t.Errorf("endpoint %q: the error does not say to send credentials as headers: %v", ep, err)
		}
	}
}
