package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// flaggedUntilAcknowledged checks that operation id, settled in state and
// contradicted since by the broker, is flagged where operators look (the
// flagged listing, the gauge's count), that the reconciler leaves it be,
// that resolving it as another state is refused, and that resolving it as
// the state it is in clears the flag, keeping its error, recording who.
func flaggedUntilAcknowledged(t *testing.T, e *dummyEnv, id string, state getpaid.OperationState) {
	t.Helper()
	ctx := context.Background()
	flagged := func() (listed, counted int64) {
		t.Helper()
		page, err := e.eng.Operations(ctx, getpaid.OperationFilter{FlaggedOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range page.Operations {
			if op.ID == id {
				listed++
			}
		}
		b, err := e.store.(getpaid.BacklogReporter).Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return listed, b.Flagged
	}
	before, _ := e.eng.Operation(ctx, id)
	if !before.Flagged || before.State != state {
		t.Fatalf("operation %s, flagged %v; want it %s and flagged for an operator", before.State, before.Flagged, state)
	}
	if listed, counted := flagged(); listed != 1 || counted != 1 {
		t.Fatalf("listed as flagged %d times, counted %d; want it listed and counted once", listed, counted)
	}
	if _, err := e.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if op, _ := e.eng.Operation(ctx, id); op.State != state || !op.Flagged || op.Attempts != before.Attempts || !op.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("after a reconcile: %+v; want it left as it was", op)
	}
	other := map[getpaid.OperationState]getpaid.OperationState{getpaid.OpSucceeded: getpaid.OpFailed, getpaid.OpFailed: getpaid.OpSucceeded}[state]
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: other, Note: "no", By: "bob"}); !errors.Is(err, getpaid.ErrConflict) {
		t.Fatalf("resolved as %s: %v; want a conflict", other, err)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: state, Note: "seen, settled with the buyer", By: "bob"})
	if err != nil {
		t.Fatalf("acknowledged: %v", err)
	}
	// bob is recorded: as who resolved it when the broker's word moved it,
	// else in the note of the resolution that stands, whose operator stays.
	if op := res.Operation; op.Flagged || op.State != state || op.Error != before.Error ||
		!(before.ResolvedBy == "" && op.ResolvedBy == "bob" || before.ResolvedBy != "" && op.ResolvedBy == before.ResolvedBy && strings.Contains(op.Note, "acknowledged by bob")) {
		t.Fatalf("acknowledged: %+v; want it %s, no longer flagged, bob recorded, its error kept", op, state)
	}
	if listed, counted := flagged(); listed != 0 || counted != 0 {
		t.Fatalf("acknowledged: listed as flagged %d times, counted %d; want neither", listed, counted)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: state, Note: "again", By: "carol"}); !errors.Is(err, getpaid.ErrConflict) {
		t.Fatalf("acknowledged again: %v; want a conflict (settled, nothing left)", err)
	}
}
