package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/tracing"
)

// TestBadHeadersRefused: a header the exporter cannot send (a token read
// from a secret file with its newline, a name with a blank) was taken at
// start, and every export then failed ("spans not exported (dropped)")
// while serve ran. Start refuses it, naming the header, never its value.
func TestBadHeadersRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		headers    map[string]string
		wantHeader string
	}{
		{"value ends with a newline", map[string]string{"Authorization": "Bearer s3cr3t\n"}, "Authorization"},
		{"value with a carriage return", map[string]string{"X-Api-Key": "s3cr3t\r"}, "X-Api-Key"},
		{"name with a blank", map[string]string{"Api Key": "s3cr3t"}, `"Api Key"`},
		{"name with a colon", map[string]string{"Authorization:": "s3cr3t"}, `"Authorization:"`},
		{"empty name", map[string]string{"": "s3cr3t"}, `""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://127.0.0.1:4318", Headers: tc.headers})
			if err == nil {
				_ = tr.Shutdown(context.Background())
				t.Fatalf("headers %q were taken", tc.headers)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error repeats the value: %v", err)
			}
			if !strings.Contains(err.Error(), tc.wantHeader) {
				t.Errorf("the error does not name the header %s: %v", tc.wantHeader, err)
			}
		})
	}
	tr, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://127.0.0.1:4318",
		Headers: map[string]string{"Authorization": "Bearer abc.def", "X-Scope-OrgID": "tenant-1"}})
	if err != nil {
		t.Fatalf("good headers refused: %v", err)
	}
	_ = tr.Shutdown(context.Background())
}
