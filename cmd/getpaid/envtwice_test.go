package main

import (
	"strings"
	"testing"
)

// A key given twice in a mapping a variable sets (GETPAID_LIMITS,
// GETPAID_TRACING) was refused "already defined at line 0": the variable
// has no lines, and the file none numbered 0. The error names the
// variable and the key, and says it is set twice.
func TestEnvironmentKeySetTwiceNamesNoLine(t *testing.T) {
	t.Parallel()
	const file = `listen: 127.0.0.1:0
database: "memory:"
api_keys: [server-api-key-0123456789]
backends:
  payu:
    pos_id: "1"
    second_key: k
    client_id: "1"
    client_secret: c
`
	tests := []struct {
		name, env, want string
	}{
		{"callback_body", "GETPAID_LIMITS={callback_body: {payu: 64KiB, payu: 128KiB}}",
			`GETPAID_LIMITS: limits.callback_body: "payu" is set twice`},
		{"tracing headers", "GETPAID_TRACING={otlp_endpoint: http://127.0.0.1:4318, headers: {a: x, a: y}}",
			`GETPAID_TRACING: tracing.headers: "a" is set twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, file, []string{tt.env})
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "line 0") {
				t.Errorf("error %q: want it to say %q, and name no line 0", err, tt.want)
			}
		})
	}
}
