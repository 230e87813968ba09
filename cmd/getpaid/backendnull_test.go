package main

import (
	"strings"
	"testing"
)

// A backend's title or kind YAML reads as null (~, null) is what YAML
// says, nothing: the title is the broker's own (it was "~", shown to
// buyers), and the kind is refused as missing (it was looked up as "~").
func TestBackendTitleAndKindNull(t *testing.T) {
	t.Parallel()
	for _, null := range []string{"~", "null", "Null"} {
		t.Run("title "+null, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte("database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n    title: "+null+"\n"), nil)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := buildRegistry(c)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			b, _ := reg.Get("dummy")
			if b.Title != backendKinds()["dummy"].title {
				t.Fatalf("title %q, want the broker's own, %q", b.Title, backendKinds()["dummy"].title)
			}
		})
		t.Run("kind "+null, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n    kind: "+null+"\n", nil)
			if want := "getpaid.yaml: line 5: backends.dummy.kind: want one value, not nothing"; !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
		})
	}
}
