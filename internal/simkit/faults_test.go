package simkit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestFaults: each mode answers as it says, and whether the operation was
// carried out is what its name says.
func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mode string
		operation  bool // through Operation, else Outage
		code       int  // 0: no answer before the client gives up
		done       bool
	}{
		{"healthy", FaultNone, true, http.StatusOK, true},
		{"unknown mode", "sometimes", true, http.StatusOK, true},
		{"operation 5xx", Fault5xx, true, http.StatusInternalServerError, false},
		{"timeout before", FaultTimeoutBefore, true, 0, false},
		{"timeout after", FaultTimeoutAfter, true, 0, true},
		{"outage 5xx", Failure5xx, false, http.StatusInternalServerError, false},
		{"outage timeout", FailureTimeout, false, 0, false},
		{"timeout-after is no outage mode", FaultTimeoutAfter, false, http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := NewLife()
			t.Cleanup(l.Close)
			f := NewFaults(l, 0, func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "failed", http.StatusInternalServerError)
			}, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "late", http.StatusGatewayTimeout) })
			f.Set(tt.mode)
			if f.Mode() != tt.mode {
				t.Fatalf("mode %q", f.Mode())
			}
			var done atomic.Bool
			h := func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				done.Store(true)
				_, _ = w.Write([]byte("done"))
			}
			wrapped := f.Outage(h)
			if tt.operation {
				wrapped = f.Operation(h)
			}
			srv := httptest.NewServer(wrapped)
			t.Cleanup(srv.Close)
			t.Cleanup(l.Close) // before the server: a request still hanging ends
			client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 200 * time.Millisecond}
			resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{}`))
			code := 0
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			if code != tt.code || done.Load() != tt.done {
				t.Fatalf("answered %d (%v), done %v; want %d, done %v", code, err, done.Load(), tt.code, tt.done)
			}
		})
	}
}

// A request held hanging is answered late when the simulator closes and
// its client still waits, and at most after the bound.
func TestFaultsLateAnswer(t *testing.T) {
	t.Parallel()
	l := NewLife()
	f := NewFaults(l, 50*time.Millisecond, nil, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "late", http.StatusGatewayTimeout)
	})
	f.Set(FailureTimeout)
	srv := httptest.NewServer(f.Outage(nil))
	defer srv.Close()
	defer l.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("answered %d after the bound, want 504", resp.StatusCode)
	}
}
