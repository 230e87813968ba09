package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A listing filtered by a status that does not exist (a typo: "paidd")
// names the statuses there are, as the operations' and events' filters
// name their states.
func TestUnknownStatusFilterNamesTheStatuses(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &fakeBroker{}, memory.New())
	_, err := e.Payments(context.Background(), getpaid.PaymentFilter{Status: "paidd"})
	var fe *getpaid.FieldError
	if !errors.As(err, &fe) || fe.Field != "status" || !strings.Contains(fe.Reason, "want new, prepared, ") || !strings.Contains(fe.Reason, " or refunded") {
		t.Fatalf("%v; want a status error naming the statuses", err)
	}
}
