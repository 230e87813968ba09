package main

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// callback check said of a Przelewy24 refund notification serve had
// applied (a refund of all of it, sent again) "refused: … refund of 150.00
// PLN exceeds captured minus refunded: getpaid would answer 422", exit 1,
// where serve, finding the fact refused, looks its event up and answers it
// as a duplicate. A broker that confirms looks the key up when the fact is
// refused too.
func TestCallbackCheckPrzelewy24RefusedRepeatIsDuplicate(t *testing.T) {
	t.Parallel()
	const crc = "aef0aef0aef0aef0"
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "getpaid.db")
	path := writeConfig(t, "database: \"sqlite:"+db+"\"\nbackends:\n  przelewy24:\n    merchant_id: 11111\n    crc: "+crc+"\n    api_key: k\n")
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
	now := time.Now()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "przelewy24", Status: getpaid.StatusNew,
		ExternalID: "300000001", Amount: getpaid.MustParseMoney("150.00", "PLN"), CreatedAt: now, UpdatedAt: now}
	if _, err := store.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	paid := &getpaid.Observation{PaymentID: p.ID, ExternalID: "300000001", EventID: "trn:300000001",
		Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
	if _, err := store.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "przelewy24:trn:300000001", Cause: paid.Cause(),
		Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, paid) }}); err != nil {
		t.Fatal(err)
	}
	signed := fmt.Sprintf(`{"orderId":300000001,"sessionId":%q,"refundsUuid":"R-1","merchantId":11111,"amount":15000,"currency":"PLN","status":0,"crc":%q}`, p.ID, crc)
	sum := sha512.Sum384([]byte(signed))
	body := fmt.Sprintf(`{"orderId":300000001,"sessionId":%q,"refundsUuid":"R-1","merchantId":11111,"amount":15000,"currency":"PLN","status":0,"sign":%q}`, p.ID, hex.EncodeToString(sum[:]))
	ecfg, err := engineConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.NoDelivery = store, reg, slog.New(slog.DiscardHandler), true
	eng, err := engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate} {
		res, err := eng.HandleCallback(ctx, "przelewy24", &getpaid.CallbackRequest{Method: http.MethodPost, Body: []byte(body)})
		if err != nil || res.Outcome != want {
			t.Fatalf("serve: %v %+v, want %s", err, res, want)
		}
	}
	_ = eng.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	const want = "would change nothing: a duplicate (its event refund:R-1:300000001 was applied before)"
	code, out, stderr := runCLI(t, body, "callback", "check", "--config", path, "--backend", "przelewy24")
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("code %d, want 0 and %q:\n%s%s", code, want, out, stderr)
	}
}
