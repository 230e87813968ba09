package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
)

// orderTable is a shop's order source type whose value may be a nil pointer.
type orderTable struct{ orders map[string]*getpaid.Order }

func (t *orderTable) Order(_ context.Context, id string) (*getpaid.Order, error) {
	return t.orders[id], nil // a nil *orderTable panics here
}

// A Service or an OrderSource that is a typed nil (an engine variable
// shadowed by :=, an OrderSourceFunc left unset) is refused by New, naming
// the field; it used to pass New's "!= nil" and panic at the first
// request, a buyer's.
func TestNilValuesInConfigRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	var unsetFunc getpaid.OrderSourceFunc
	var noTable *orderTable
	var noEngine *engine.Engine
	tests := []struct {
		name  string
		cfg   httpapi.Config
		field string
	}{
		{"nil *engine.Engine", httpapi.Config{Service: noEngine}, "Service"},
		{"nil OrderSourceFunc", httpapi.Config{Service: e.eng, Orders: unsetFunc}, "Orders"},
		{"nil pointer order source", httpapi.Config{Service: e.eng, Orders: noTable}, "Orders"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := httpapi.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
				t.Fatalf("New = %v, %v; want an error naming Config.%s", h, err, tc.field)
			}
		})
	}
}
