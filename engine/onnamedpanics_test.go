package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// OnEventNamed panics on an empty name, a name taken already and a nil
// listener, and its doc says so (it said only "must not be empty"; the
// rest was on AddConsumer, which a library user adding listeners does not
// read).
func TestOnEventNamedPanicsAsDocumented(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, getpaid.Event) error { return nil }
	tests := []struct {
		name, listener string
		l              func(context.Context, getpaid.Event) error
	}{
		{"empty name", "", ok},
		{"a name taken", "orders", ok},
		{"nil listener", "other", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, &fakeBroker{}, memory.New())
			e.OnEventNamed("orders", ok)
			defer func() {
				if recover() == nil {
					t.Errorf("OnEventNamed(%q) did not panic", tc.listener)
				}
			}()
			e.OnEventNamed(tc.listener, tc.l)
		})
	}
	doc := methodDoc(t, "OnEventNamed")
	for _, want := range []string{"panics", "nil", "taken"} {
		if !strings.Contains(doc, want) {
			t.Errorf("OnEventNamed's doc does not say %q:\n%s", want, doc)
		}
	}
}
