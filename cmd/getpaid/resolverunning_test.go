package main

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// `operations resolve` of an operation whose broker call may still be
// running (submitting, for less than resume_operations_after) is refused,
// saying so and when it can be resolved: not "already submitting, settled
// by what the broker said", as if it had ended.
func TestResolveRunningOperationCommand(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	ctx := context.Background()
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	// A refund written down and at the broker (as a server in its call
	// leaves it).
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpSubmitting, Amount: p.Amount, IdempotencyKey: "k", RequestHash: getpaid.RequestHash(getpaid.OpRefund, nil)}
	if _, err := srv.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "refund asked", Operation: &getpaid.OperationChange{New: op},
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	code, out, errOut := runCLI(t, "", "operations", "resolve", op.ID, "--config", path, "--as", "failed", "--note", "looks stuck")
	if code != 1 || !strings.Contains(errOut, "broker call may still be running") || !strings.Contains(errOut, "resume_operations_after") ||
		strings.Contains(errOut, "already") {
		t.Fatalf("resolve of a running operation: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "", "operations", "show", op.ID, "--config", path); code != 0 || !strings.Contains(out, "submitting") {
		t.Fatalf("show after the refused decision: %d\n%s", code, out)
	}
}
