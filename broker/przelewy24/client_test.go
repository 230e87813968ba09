package przelewy24

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// call classifies every answer it cannot use once: what may be asked again
// (Retryable) and what Przelewy24 may have done (Happened, only for a
// change).
func TestCallClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		code                int
		method              string
		retryable, happened bool
	}{
		{"refusal", http.StatusBadRequest, http.MethodPost, false, false},
		{"conflict", http.StatusConflict, http.MethodPost, false, false},
		{"request timeout", http.StatusRequestTimeout, http.MethodPost, true, false},
		{"throttled", http.StatusTooManyRequests, http.MethodPost, true, false},
		{"server error on a change", http.StatusInternalServerError, http.MethodPost, true, true},
		{"server error on a lookup", http.StatusServiceUnavailable, http.MethodGet, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(`{"error":"simulated","code":1}`))
			}))
			t.Cleanup(srv.Close)
			b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "key", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			var in any
			if tt.method != http.MethodGet {
				in = map[string]string{"a": "b"}
			}
			err = b.call(context.Background(), "przelewy24: test", tt.method, "/x", in, nil)
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Status != tt.code || be.Retryable != tt.retryable || be.Happened != tt.happened ||
				be.Op != "przelewy24: test" || be.Err.Error() != "simulated" {
				t.Fatalf("err = %#v, want status %d retryable %v happened %v", err, tt.code, tt.retryable, tt.happened)
			}
		})
	}
}
