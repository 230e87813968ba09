package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The bench's writes-per-commit column comes from the servers' own
// histogram, summed over the servers, and is "-" whenever a server does
// not serve it.
func TestBenchWritesPerCommit(t *testing.T) {
	t.Parallel()
	metrics := func(body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" || r.Header.Get("Authorization") != "Bearer k" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	hist := func(sum, count string) string {
		return "# HELP getpaid_store_commit_writes x\n# TYPE getpaid_store_commit_writes histogram\n" +
			"getpaid_store_commit_writes_bucket{le=\"1\"} 3\ngetpaid_store_commit_writes_sum " + sum +
			"\ngetpaid_store_commit_writes_count " + count + "\ngetpaid_other_sum 99\n"
	}
	a, b := metrics(hist("30", "10")), metrics(hist("1e+01", "5"))
	tests := []struct {
		name            string
		urls            []string
		key             string
		writes, commits float64
		ok              bool
	}{
		{"two servers summed", []string{a, b}, "k", 40, 15, true},
		{"wrong key", []string{a}, "x", 0, 0, false},
		{"no histogram", []string{metrics("getpaid_up 1\n"), a}, "k", 30, 10, false},
		{"count missing", []string{metrics("getpaid_store_commit_writes_sum 4\n")}, "k", 4, 0, false},
		{"unreadable value", []string{metrics(hist("x", "1"))}, "k", 0, 0, false},
		{"nothing listens", []string{"http://127.0.0.1:1"}, "k", 0, 0, false},
		{"no servers", nil, "k", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleCommits(context.Background(), tt.urls, tt.key)
			if s.ok != tt.ok || (tt.ok && (s.writes != tt.writes || s.commits != tt.commits)) {
				t.Fatalf("got %+v, want writes %v commits %v ok %v", s, tt.writes, tt.commits, tt.ok)
			}
		})
	}
	for _, c := range []struct {
		a, b commitSample
		want string
	}{
		{commitSample{40, 15, true}, commitSample{140, 25, true}, "10.0"},
		{commitSample{40, 15, true}, commitSample{40, 15, true}, "-"},
		{commitSample{40, 15, false}, commitSample{140, 25, true}, "-"},
		{commitSample{40, 15, true}, commitSample{140, 25, false}, "-"},
	} {
		if got := strings.TrimSpace(commitColumn(c.a, c.b)); got != c.want {
			t.Errorf("commitColumn(%+v, %+v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
