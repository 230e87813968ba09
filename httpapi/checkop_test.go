package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

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
	op := recordRefund(t, e.store, p.ID, getpaid.OpSubmitting)
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

// onlyService is a Service with nothing beyond the interface: a fake or a
// wrapper written outside the module, without the optional capabilities.
type onlyService struct{ getpaid.Service }

// A check asked of a server whose Service cannot check operations (no
// getpaid.OperationChecker) is refused, 501 saying so, and changes nothing.
func TestCheckOperationWithoutChecker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{wrapService: func(s getpaid.Service) getpaid.Service { return onlyService{s} }})
	p := e.paidThroughPaywall("o-check-unsupported", "100.00")
	next := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpUnknown, Amount: getpaid.MustParseMoney("10.00", "PLN"), NextCheckAt: next}
	recordOperation(t, e.store, op)
	resp, body := e.do("POST", "/api/v1/operations/"+op.ID+"/check", nil, auth)
	var a struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &a); err != nil || resp.StatusCode != http.StatusNotImplemented || a.Error.Code != "not_implemented" ||
		!strings.Contains(a.Error.Message, "cannot check operations with their brokers") {
		t.Fatalf("check without a checker: %d %s; want 501 not_implemented saying the server cannot check operations", resp.StatusCode, body)
	}
	got, err := e.store.Operation(context.Background(), op.ID)
	if err != nil || !got.NextCheckAt.Equal(next) {
		t.Fatalf("operation after the refused check: %+v, %v; want its next check unchanged (%s)", got, err, next)
	}
	// The rest of the API is there.
	if resp, body := e.do("GET", "/api/v1/operations/"+op.ID, nil, auth); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the operation: %d %s", resp.StatusCode, body)
	}
}

// recordOperation writes op beside its payment, as the engine records an
// operation before it calls the broker.
func recordOperation(t *testing.T, s getpaid.Store, op *getpaid.Operation) {
	t.Helper()
	if _, err := s.UpdatePayment(context.Background(), op.PaymentID, getpaid.Mutation{
		Apply:     func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{New: op},
	}); err != nil {
		t.Fatal(err)
	}
}

// recordRefund records a 10.00 PLN refund of payment paymentID in state,
// as the engine records one (see recordOperation), and returns it.
func recordRefund(t *testing.T, s getpaid.Store, paymentID string, state getpaid.OperationState) *getpaid.Operation {
	t.Helper()
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: paymentID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: state, Amount: getpaid.MustParseMoney("10.00", "PLN")}
	recordOperation(t, s, op)
	return op
}

// A check or resolution of a settled operation says it has ended, as the
// console does: it read "the operation is already succeeded".
func TestSettledOperationConflictSaysItEnded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-settled", "100.00")
	code, a, _ := e.action(p.ID, "refund", "10.00", keyed("k-settled"))
	if code != 200 || a.Operation == nil || a.Operation.State != getpaid.OpSucceeded {
		t.Fatalf("refund: %d %+v", code, a)
	}
	for _, path := range []string{"/check", "/resolve"} {
		resp, body := e.do("POST", "/api/v1/operations/"+a.Operation.ID+path, map[string]string{"as": "failed", "note": "x"}, auth)
		if path == "/check" {
			resp, body = e.do("POST", "/api/v1/operations/"+a.Operation.ID+path, nil, auth)
		}
		var got errorBody
		_ = json.Unmarshal(body, &got)
		if want := "the operation has already succeeded: nothing is left to check or resolve"; resp.StatusCode != 409 || got.Error.Message != want {
			t.Fatalf("%s: %d %s; want 409 %q", path, resp.StatusCode, body, want)
		}
	}
}
