package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// A check asked of an operation whose broker call is still running is
// refused, 409 with the operation, and the message says so: it said "the
// operation is already submitting", as if the call had ended.
func TestCheckOperationInBrokerCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-check-running", "100.00")
	// An operation as operate records it before it calls the broker.
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpSubmitting, Amount: getpaid.MustParseMoney("10.00", "PLN")}
	if _, err := e.store.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{
		Apply:     func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{New: op},
	}); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do("POST", "/api/v1/operations/"+op.ID+"/check", nil, auth)
	var a struct {
		Error struct {
			Code      string
			Message   string
			Operation *httpapi.OperationJSON
		}
	}
	if err := json.Unmarshal(body, &a); err != nil || resp.StatusCode != 409 || a.Error.Operation == nil || a.Error.Operation.ID != op.ID {
		t.Fatalf("check of an operation in its broker call: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(a.Error.Message, "already") || !strings.Contains(a.Error.Message, "broker call is still running") ||
		!strings.Contains(a.Error.Message, "taken for lost") {
		t.Fatalf("message %q: want it to say the broker call is still running, or is taken for lost if its process stopped", a.Error.Message)
	}
}
