package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// callback check run without the body on standard input (the `< body.json`
// forgotten) says so, rather than blaming a signature header, and, reading
// from a terminal, says what it waits for instead of waiting in silence.
func TestCallbackCheckWithoutBody(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	devNull, err := os.Open(os.DevNull) // a character device, as a terminal is
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	tests := []struct {
		name   string
		stdin  io.Reader
		stderr []string
	}{
		{"an empty body", strings.NewReader(""), []string{"empty", "< body"}},
		{"a terminal", devNull, []string{"Ctrl+D", "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"callback", "check", "--config", path, "--backend", "dummy", "--header", "Dummy-Signature: ab"}, tt.stdin, &out, &errb)
			if code != 2 {
				t.Fatalf("exit %d, want 2; out %q err %q", code, out.String(), errb.String())
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr %q does not say %q", errb.String(), w)
				}
			}
		})
	}
}
