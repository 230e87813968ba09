package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// callback check said of PayU's FINALIZED notification of a refund getpaid
// asked for and an operator resolved as done "would change the payment:
// partially_refunded -> partially_refunded", where serve answers it as a
// duplicate (the refund ended with that very fact, under another event)
// and changes nothing. It now looks the refund up as serve does.
func TestCallbackCheckResolvedRefundIsDuplicate(t *testing.T) {
	t.Parallel()
	const key = "b6ca15b0d1020e8094d9b5f8d163db54"
	signed := func(body string) http.Header {
		h := http.Header{}
		h.Set("OpenPayu-Signature", strings.TrimPrefix(payuHeader("SHA-256", body, key), "OpenPayu-Signature: "))
		return h
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "getpaid.db")
	path := writeConfig(t, strings.Replace(payuConfig, `"memory:"`, "sqlite:"+db, 1))
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := buildRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	store, err := openStore(ctx, c.Database)
	if err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
		ExternalID: "WZ-1", Amount: getpaid.MustParseMoney("150.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := store.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ecfg, err := engineConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.NoDelivery = store, reg, slog.New(slog.DiscardHandler), true
	eng, err := engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	completed := `{"order":{"orderId":"WZ-1","extOrderId":"` + p.ID + `","currencyCode":"PLN","totalAmount":"15000","status":"COMPLETED"}}`
	if res, err := eng.HandleCallback(ctx, "payu", &getpaid.CallbackRequest{Method: http.MethodPost, Header: signed(completed), Body: []byte(completed)}); err != nil || res.Outcome != getpaid.OutcomeApplied {
		t.Fatalf("serve: %v %+v", err, res)
	}
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "payu", Kind: getpaid.OpRefund, State: getpaid.OpPending,
		Amount: getpaid.MustParseMoney("40.00", "PLN"), Baseline: 15000, BrokerRef: "R-1"}
	if _, err := store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) { q.RefundAsked += 4000; return true, nil },
		Operation: &getpaid.OperationChange{New: op}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: getpaid.OpSucceeded, Note: "in the panel", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	refund := `{"orderId":"WZ-1","extOrderId":"` + p.ID + `","refund":{"refundId":"R-1","amount":"4000","currencyCode":"PLN","status":"FINALIZED"}}`
	// Checked before serve takes it, as an operator would.
	_ = eng.Close()
	code, out, stderr := runCLI(t, refund, "callback", "check", "--config", path, "--backend", "payu", "--header", payuHeader("SHA-256", refund, key))
	eng, err = engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.HandleCallback(ctx, "payu", &getpaid.CallbackRequest{Method: http.MethodPost, Header: signed(refund), Body: []byte(refund)})
	if err != nil || res.Outcome != getpaid.OutcomeDuplicate {
		t.Fatalf("serve: %v %+v, want a duplicate", err, res)
	}
	_ = eng.Close()
	_ = store.Close()
	const want = "would change nothing: a duplicate"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("code %d, want 0 and %q:\n%s%s", code, want, out, stderr)
	}
}
