package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A payment asked of a backend that is not enabled (a typo in the JSON
// API's "backend") is refused naming the backends that are, so the caller
// sees the right spelling without reading the server's config.
func TestUnknownBackendNamesTheEnabledOnes(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &fakeBroker{}, memory.New())
	for _, name := range []string{"fak", "FAKE", ""} {
		_, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: "o1", Backend: name, Amount: getpaid.MustParseMoney("10.00", "PLN")})
		var fe *getpaid.FieldError
		if !errors.Is(err, getpaid.ErrUnknownBackend) || !errors.As(err, &fe) || fe.Field != "backend" || !strings.Contains(fe.Reason, "(enabled: fake)") {
			t.Errorf("backend %q: %v; want an unknown backend naming the enabled ones", name, err)
		}
	}
}
