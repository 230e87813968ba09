package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var operationTests = []test{
	{"WrittenWithTheChange", testOperationWritten, nil},
	{"IdempotencyKeyPerPayment", testOperationKey, nil},
	{"Update", testOperationUpdate, nil},
	{"RefusedChangeWritesNothing", testOperationRefused, nil},
	{"ListAndFilter", testOperationList, nil},
	{"Due", testDueOperations, nil},
	{"BrokerTextStored", testOperationBrokerText, nil},
}

// paidPayment creates a payment of 100 PLN and captures it.
func paidPayment(t *testing.T, s getpaid.Store, order string) *getpaid.Payment {
	t.Helper()
	p := newPayment(order, 10000, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, prepare("X-"+order))
	return mustUpdate(t, s, p.ID, observe("dummy:paid", paidObservation(p))).Payment
}

// refundOp is a new refund operation of amount on p.
func refundOp(p *getpaid.Payment, minor int64, key string) *getpaid.Operation {
	amount := p.Money(minor)
	return &getpaid.Operation{
		ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: p.Backend, Kind: getpaid.OpRefund,
		State: getpaid.OpSubmitting, Amount: amount, IdempotencyKey: key,
		RequestHash: getpaid.RequestHash(getpaid.OpRefund, &amount),
	}
}

// askRefund is the mutation recording a refund request with its operation.
func askRefund(op *getpaid.Operation) getpaid.Mutation {
	o := &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: op.Amount}
	return getpaid.Mutation{Cause: "refund asked", Operation: &getpaid.OperationChange{New: op},
		Apply: func(p *getpaid.Payment) (bool, error) { return getpaid.Apply(p, o) }}
}

// testOperationWritten checks that an operation is written in the same
// transaction as the payment change, with every field.
func testOperationWritten(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-ow")
	op := refundOp(p, 3000, "key-1")
	op.BrokerRef, op.Error, op.Attempts, op.Flagged, op.ResolvedBy, op.Note, op.Baseline = "R1", "none", 2, true, "alice", "checked ąę", 7
	op.NextCheckAt = time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	res := mustUpdate(t, s, p.ID, askRefund(op))
	if !res.OperationNew || !res.OperationChanged || res.Operation.CreatedAt.IsZero() || res.Payment.RefundAsked != 3000 {
		t.Fatalf("result: %+v", res)
	}
	got, err := s.Operation(ctx(t), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Operation, got, cmpOpts); diff != "" {
		t.Errorf("operation read back (-written +read):\n%s", diff)
	}
	if got.Amount != p.Money(3000) || got.Kind != getpaid.OpRefund || got.IdempotencyKey != "key-1" {
		t.Errorf("operation %+v", got)
	}
	_, err = s.Operation(ctx(t), "op_missing")
	wantErr(t, "Operation", err, getpaid.ErrNotFound)
}

// testOperationKey checks that an idempotency key is unique per payment, and
// that a refused operation leaves the payment as it was.
func testOperationKey(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-ok")
	q := paidPayment(t, s, "o-ok2")
	mustUpdate(t, s, p.ID, askRefund(refundOp(p, 1000, "k")))
	_, err := s.UpdatePayment(ctx(t), p.ID, askRefund(refundOp(p, 1000, "k")))
	wantErr(t, "same key on the same payment", err, getpaid.ErrConflict)
	if got := mustGet(t, s, p.ID); got.RefundAsked != 1000 {
		t.Errorf("a refused operation changed the payment: asked %d", got.RefundAsked)
	}
	mustUpdate(t, s, q.ID, askRefund(refundOp(q, 1000, "k"))) // another payment: fine
	mustUpdate(t, s, p.ID, askRefund(refundOp(p, 1000, "")))  // no key: fine, twice
	mustUpdate(t, s, p.ID, askRefund(refundOp(p, 1000, "")))
	page, err := s.Operations(ctx(t), getpaid.OperationFilter{PaymentID: p.ID, IdempotencyKey: "k"})
	if err != nil || len(page.Operations) != 1 {
		t.Fatalf("by key: %+v, %v", page, err)
	}
	dup := refundOp(p, 1000, "")
	dup.ID = page.Operations[0].ID
	_, err = s.UpdatePayment(ctx(t), p.ID, askRefund(dup))
	wantErr(t, "same operation id", err, getpaid.ErrConflict)
}

// testOperationUpdate changes a stored operation in a payment mutation.
func testOperationUpdate(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-ou")
	op := refundOp(p, 4000, "")
	mustUpdate(t, s, p.ID, askRefund(op))
	done := &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: p.Money(4000), EventID: "r1"}
	var sawRefunded int64
	res := mustUpdate(t, s, p.ID, getpaid.Mutation{EventKey: "dummy:r1", Cause: done.Cause(),
		Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, done) },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, q *getpaid.Payment) (bool, error) {
			sawRefunded = q.Refunded
			// A settled operation keeps no LastCheck, whatever the update says.
			o.State, o.BrokerRef, o.LastCheck = getpaid.OpSucceeded, "R9", "the broker's list shows R9 done"
			return true, nil
		}}})
	if sawRefunded != 4000 {
		t.Errorf("Update saw the payment before Apply: refunded %d", sawRefunded)
	}
	got, _ := s.Operation(ctx(t), op.ID)
	if got.State != getpaid.OpSucceeded || got.BrokerRef != "R9" || got.LastCheck != "" || !got.UpdatedAt.After(got.CreatedAt) && !got.UpdatedAt.Equal(res.Operation.UpdatedAt) {
		t.Errorf("after update: %+v", got)
	}
	if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(res.Operation.CreatedAt) {
		t.Errorf("created at changed: %v vs %v", got.CreatedAt, res.Operation.CreatedAt)
	}
	// An unchanged operation is left alone; an unknown one is not found.
	mustUpdate(t, s, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(*getpaid.Operation, *getpaid.Payment) (bool, error) { return false, nil }}})
	_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: "op_missing", Update: func(*getpaid.Operation, *getpaid.Payment) (bool, error) { return true, nil }}})
	wantErr(t, "unknown operation", err, getpaid.ErrNotFound)
	other := paidPayment(t, s, "o-ou2")
	_, err = s.UpdatePayment(ctx(t), other.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(*getpaid.Operation, *getpaid.Payment) (bool, error) { return true, nil }}})
	wantErr(t, "another payment's operation", err, getpaid.ErrNotFound)
}

// testOperationBrokerText checks that what a broker said is stored whatever
// its bytes: an error text or a status with a NUL (JSON's "\u0000") or cut
// inside a character (an error page clipped to its first bytes) is written
// with the change, as valid text (U+FFFD in their place), not refused by
// the database, which would leave the operation "submitting" and the
// broker's answer lost.
func testOperationBrokerText(t *testing.T, s getpaid.Store) {
	for _, tc := range []struct{ name, said, want string }{
		{"nul", "Nieprawidłowa kwota\x00", "Nieprawidłowa kwota\uFFFD"},
		{"cut character", "usługa niedost\xc4", "usługa niedost\uFFFD"},
		{"cut euro", "fee 5 \xe2\x82", "fee 5 \uFFFD"},
	} {
		p := paidPayment(t, s, "o-obt-"+tc.name)
		op := refundOp(p, 1000, "")
		mustUpdate(t, s, p.ID, askRefund(op))
		// A check that settled nothing keeps what the broker said.
		mustUpdate(t, s, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.LastCheck = "lookup: " + tc.said
				return true, nil
			}}})
		if got, err := s.Operation(ctx(t), op.ID); err != nil || got.LastCheck != "lookup: "+tc.want {
			t.Fatalf("%s: last check %q, %v; want %q", tc.name, got.LastCheck, err, "lookup: "+tc.want)
		}
		gone := &getpaid.Observation{Kind: getpaid.KindRefundFailed, Amount: p.Money(1000), BrokerStatus: tc.said}
		res, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{Cause: gone.Cause(),
			Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, gone) },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.State, o.Error = getpaid.OpFailed, "refused: "+tc.said
				return true, nil
			}}})
		if err != nil {
			t.Fatalf("%s: the broker's answer was not stored: %v", tc.name, err)
		}
		got, err := s.Operation(ctx(t), op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != getpaid.OpFailed || got.Error != "refused: "+tc.want || res.Operation.Error != got.Error ||
			got.LastCheck != "" {
			t.Errorf("%s: operation %s with error %q (handed back %q), last check %q, want failed with %q", tc.name, got.State, got.Error,
				res.Operation.Error, got.LastCheck, "refused: "+tc.want)
		}
		h := mustHistory(t, s, p.ID)
		if last := h[len(h)-1]; !strings.Contains(last.Cause, tc.want) || strings.Contains(last.Cause, tc.said) {
			t.Errorf("%s: history cause %q, want one with %q", tc.name, last.Cause, tc.want)
		}
	}
}

// testOperationRefused checks that an Update error or an Apply error writes
// neither the payment nor the operation.
func testOperationRefused(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-or")
	op := refundOp(p, 1000, "")
	mustUpdate(t, s, p.ID, askRefund(op))
	boom := errors.New("boom")
	_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{
		Apply: func(q *getpaid.Payment) (bool, error) { q.Locked = 1; return true, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			o.State = getpaid.OpFailed
			return true, boom
		}}})
	wantErr(t, "update error", err, boom)
	_, err = s.UpdatePayment(ctx(t), p.ID, askRefund(refundOp(p, 99999, "")))
	wantErr(t, "refund above what was paid", err, getpaid.ErrAmountMismatch)
	got := mustGet(t, s, p.ID)
	if got.Locked != 0 || got.RefundAsked != 1000 {
		t.Errorf("payment changed by refused mutations: %+v", got)
	}
	if o, _ := s.Operation(ctx(t), op.ID); o.State != getpaid.OpSubmitting {
		t.Errorf("operation changed by a refused mutation: %s", o.State)
	}
	if page, _ := s.Operations(ctx(t), getpaid.OperationFilter{PaymentID: p.ID}); len(page.Operations) != 1 {
		t.Errorf("a refused new operation was stored: %d", len(page.Operations))
	}
}

// testOperationList lists operations newest first with filters and pages.
func testOperationList(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-ol")
	var ids []string
	for i := range 5 {
		op := refundOp(p, 100, fmt.Sprint("k", i))
		mustUpdate(t, s, p.ID, askRefund(op))
		ids = append(ids, op.ID)
	}
	flag := func(id string, st getpaid.OperationState, flagged bool) {
		mustUpdate(t, s, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: id, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.State, o.Flagged = st, flagged
				return true, nil
			}}})
	}
	flag(ids[1], getpaid.OpUnknown, true)
	flag(ids[3], getpaid.OpUnknown, false)
	var got []string
	f := getpaid.OperationFilter{PaymentID: p.ID, Limit: 2}
	for {
		page, err := s.Operations(ctx(t), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range page.Operations {
			got = append(got, op.ID)
		}
		if n := len(page.Operations); n > f.Limit || page.NextCursor != "" && n != f.Limit {
			t.Errorf("Operations by pages of %d: a page of %d, next cursor %q", f.Limit, n, page.NextCursor)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages newest first (-want +got):\n%s", diff)
	}
	if page, _ := s.Operations(ctx(t), getpaid.OperationFilter{State: getpaid.OpUnknown}); len(page.Operations) != 2 {
		t.Errorf("state unknown: %d, want 2", len(page.Operations))
	}
	if page, _ := s.Operations(ctx(t), getpaid.OperationFilter{FlaggedOnly: true}); len(page.Operations) != 1 || page.Operations[0].ID != ids[1] {
		t.Errorf("flagged: %+v", page.Operations)
	}
	if page, _ := s.Operations(ctx(t), getpaid.OperationFilter{Kind: getpaid.OpCapture}); len(page.Operations) != 0 {
		t.Errorf("kind capture: %d", len(page.Operations))
	}
	if _, err := s.Operations(ctx(t), getpaid.OperationFilter{Cursor: "nope"}); !isInvalid(err) {
		t.Errorf("bad cursor: %v", err)
	}
}

// testDueOperations checks which operations the reconciler gets, and claims.
func testDueOperations(t *testing.T, s getpaid.Store) {
	p := paidPayment(t, s, "o-du")
	now := soon()
	set := func(st getpaid.OperationState, next time.Time) string {
		op := refundOp(p, 100, "")
		mustUpdate(t, s, p.ID, askRefund(op))
		mustUpdate(t, s, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.State, o.NextCheckAt = st, next
				return st != getpaid.OpSubmitting || !next.IsZero(), nil
			}}})
		return op.ID
	}
	// Written in the other order than their checks fall due: the oldest
	// check comes first, whichever was written first.
	pendingDue := set(getpaid.OpPending, now.Add(-time.Second))
	unknownDue := set(getpaid.OpUnknown, now.Add(-time.Minute))
	set(getpaid.OpUnknown, now.Add(time.Hour)) // not yet
	set(getpaid.OpSucceeded, time.Time{})      // final
	submitting := set(getpaid.OpSubmitting, time.Time{})
	due := func(at time.Time, submittingBefore time.Time) []string {
		t.Helper()
		ops, err := s.DueOperations(ctx(t), getpaid.DueRequest{Now: at, SubmittingBefore: submittingBefore, Limit: 10, Claim: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, op := range ops {
			ids = append(ids, op.ID)
		}
		return ids
	}
	// A limit takes the oldest check first; without a claim nothing is taken.
	if ops, err := s.DueOperations(ctx(t), getpaid.DueRequest{Now: now, SubmittingBefore: now.Add(-time.Hour), Limit: 1}); err != nil ||
		len(ops) != 1 || ops[0].ID != unknownDue {
		t.Errorf("due now, a limit of 1: %d operations, %v; want %s alone", len(ops), err, unknownDue)
	}
	if diff := cmp.Diff([]string{unknownDue, pendingDue}, due(now, now.Add(-time.Hour))); diff != "" {
		t.Errorf("due now, oldest check first (-want +got):\n%s", diff)
	}
	if got := due(now.Add(30*time.Second), now.Add(-time.Hour)); len(got) != 0 {
		t.Errorf("claimed operations listed again: %v", got)
	}
	// A submitting operation untouched since before the cut-off: its process died.
	if diff := cmp.Diff([]string{submitting}, due(now.Add(30*time.Second), now.Add(time.Hour))); diff != "" {
		t.Errorf("stale submitting (-want +got):\n%s", diff)
	}
	got, _ := s.Operation(ctx(t), unknownDue)
	if !got.NextCheckAt.Equal(now.Add(time.Minute)) {
		t.Errorf("claim moved NextCheckAt to %v, want %v", got.NextCheckAt, now.Add(time.Minute))
	}
}

// isInvalid reports whether err is getpaid.ErrInvalidRequest.
func isInvalid(err error) bool { return errors.Is(err, getpaid.ErrInvalidRequest) }
