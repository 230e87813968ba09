package main

import (
	"strings"
	"testing"
)

// An alias inside the value of its own anchor (a: &a [*a], a typo away
// from a list of two) made the copy hold itself: getpaid expanded it
// 100,000 levels deep, each level's message path longer, for seconds to
// minutes and gigabytes before it refused the file for too many values.
// It is refused at once, naming the alias and its anchor's line, in the
// file and in a variable's YAML.
func TestAliasOfItselfRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"a list", "a: &a [x, *a]\n" + dummyConfig, nil,
			"getpaid.yaml: line 1: a[1]: *a is inside the value anchored &a (line 1), which would hold itself without end"},
		{"a mapping", dummyConfig + "tracing: &t\n  headers: *t\n", nil,
			"getpaid.yaml: line 11: tracing.headers: *t is inside the value anchored &t (line 10)"},
		{"a variable's YAML", dummyConfig, []string{"GETPAID_DELIVERY_RETRIES=[&r [5s, *r]]"},
			"GETPAID_DELIVERY_RETRIES: delivery_retries[0][1]: *r is inside the value anchored &r (GETPAID_DELIVERY_RETRIES)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseConfigFrom("getpaid.yaml", []byte(tt.yaml), tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
