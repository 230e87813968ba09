package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// `operations resolve --seen` takes the operation as the operator was
// shown it (operations show's updated, to the nanosecond): one changed
// since (the reconciler's check, the broker's next word, another
// resolution) is refused, saying so, and nothing is resolved; as it is
// now, it is resolved. Without it, a resolve run after the broker
// contradicted the operation anew acknowledged what nobody was shown.
func TestResolveSeenCommand(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	ctx := context.Background()
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpCapture,
		State: getpaid.OpUnknown, Amount: p.Amount, IdempotencyKey: "k", RequestHash: getpaid.RequestHash(getpaid.OpCapture, nil)}
	if _, err := srv.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "capture asked", Operation: &getpaid.OperationChange{New: op},
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	updated := regexp.MustCompile(`(?m)^updated:\s+(\S+)$`)
	show := func() string {
		t.Helper()
		code, out, errOut := runCLI(t, "", "operations", "show", op.ID, "--config", path)
		m := updated.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("show: %d\n%s%s", code, out, errOut)
		}
		return m[1]
	}
	shown := show()
	srv, err = openRecords(ctx, path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			o.LastCheck = "the broker has no such capture yet"
			return true, nil
		}}}); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	resolve := func(seen string) (int, string, string) {
		return runCLI(t, "", "operations", "resolve", op.ID, "--config", path, "--as", "failed", "--note", "not in the panel", "--by", "alice", "--seen", seen)
	}
	if code, out, errOut := resolve("yesterday"); code != 2 || !strings.Contains(errOut, "--seen") {
		t.Fatalf("--seen yesterday: %d\n%s%s; want a usage error naming --seen", code, out, errOut)
	}
	if code, out, errOut := resolve(shown); code != 1 || !strings.Contains(errOut, "changed since it was shown") {
		t.Fatalf("resolve with the operation as shown before a change: %d\n%s%s; want refused, saying it changed since", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "", "operations", "show", op.ID, "--config", path); code != 0 || !strings.Contains(out, "unknown") || strings.Contains(out, "alice") {
		t.Fatalf("refused, yet resolved: %d\n%s", code, out)
	}
	if code, out, errOut := resolve(show()); code != 0 || !strings.Contains(out, "failed") || !strings.Contains(out, "alice") {
		t.Fatalf("resolve with the operation as it is: %d\n%s%s", code, out, errOut)
	}
}
