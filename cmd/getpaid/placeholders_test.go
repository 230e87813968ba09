package main

import (
	"strings"
	"testing"
)

// getpaid config KIND without --config prints stand-ins for the settings it
// does not know, and a footnote saying so: only when a stand-in is shown.
func TestConfigFootnoteOnlyWithPlaceholders(t *testing.T) {
	t.Parallel()
	for _, kind := range kindNames() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", "config", kind, "--base-url", "https://shop.example.com")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			shown := strings.Contains(strings.Split(out, "\n(")[0], "<your ")
			if footnote := strings.Contains(out, "values are placeholders"); footnote != shown {
				t.Fatalf("placeholders shown %v, footnote %v:\n%s", shown, footnote, out)
			}
		})
	}
}
