package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// getpaid bench runs to its summary with and without --webhook: a short run
// of each (the figures are not checked, only that the tool finishes and
// says what it measured; a run without --webhook once panicked reading the
// webhook runs' results).
func TestBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and loads them")
	}
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"plain", nil, []string{"concurrency 1: getpaid reaches"}},
		{"webhook", []string{"--webhook"}, []string{"concurrency 1: +webhook reaches", "events per lifecycle"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args := append([]string{"bench", "--duration", "300ms", "--concurrency", "1"}, tc.args...)
			out, err := exec.CommandContext(ctx, getpaidBin(t), args...).CombinedOutput()
			if err != nil {
				t.Fatalf("getpaid %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("getpaid %s does not say %q:\n%s", strings.Join(args, " "), w, out)
				}
			}
		})
	}
}

// A bench that measured nothing fails (every request to a target refused
// was reported, then exit 0), and a database URL it cannot use is refused
// before anything runs (it was refused after the ceiling's run).
func TestBenchFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		want    string
		printed bool // the table's header printed before the refusal
	}{
		{"a target nobody serves", []string{"--target", "http://127.0.0.1:1"}, "completed no lifecycle", true},
		{"an unknown database", []string{"--database", "mysql://x"}, "want sqlite:PATH or postgres://", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"bench", "--duration", "200ms", "--concurrency", "1"}, tc.args...)
			code, out, errOut := runCLI(t, "", args...)
			if code != 1 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "lifecycle = ") != tc.printed {
				t.Fatalf("getpaid %s: code %d, stdout %q, stderr %q; want exit 1 saying %q", strings.Join(args, " "), code, out, errOut, tc.want)
			}
		})
	}
}
