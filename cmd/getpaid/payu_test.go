package main

import (
	"strings"
	"testing"
)

// TestServeWarnsOfStrictPayU: issue 8 keeps refusing MD5-signed PayU
// notifications as an opt-in, and asks serve to say so at start: PayU signs
// with MD5 unless its POS is set otherwise, so a strict backend may answer
// every real notification 403 while payments finish only through polling.
func TestServeWarnsOfStrictPayU(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, setting string
		warn          bool
	}{
		{"default", "", false},
		{"allow_md5 true", "    allow_md5: true\n", false},
		{"strict_signatures", "    strict_signatures: true\n", true},
		{"allow_md5 false", "    allow_md5: false\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln := listen(t, "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			path := writeConfig(t, "listen: "+addr+"\ndatabase: \"memory:\"\napi_keys: ["+testAPIKey+"]\nbackends:\n  payu:\n"+
				"    pos_id: \"300746\"\n    second_key: b6ca15b0d1020e8094d9b5f8d163db54\n    client_id: \"300746\"\n    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d\n    sandbox: true\n"+tc.setting)
			stderr := serveUntilItAnswers(t, addr, path)
			if warned := strings.Contains(stderr, "refuses MD5-signed notifications"); warned != tc.warn {
				t.Fatalf("warned %v, want %v:\n%s", warned, tc.warn, stderr)
			}
		})
	}
}
