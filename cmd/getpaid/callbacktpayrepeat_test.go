package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// callback check said of a Tpay refund notification (CHARGEBACK) serve had
// applied, sent again, what it said of its first delivery: "refused: …
// refund of 25.00 PLN exceeds captured minus refunded: getpaid would answer
// 422", exit 1, for a refund of all of it, where serve, reading Tpay's list
// of refunds, answers it as a duplicate. check now reads that list as serve
// does (a read: nothing at Tpay changes).
func TestCallbackCheckTpayRefundRepeatIsDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := tpaytest.Start(tpaytest.Config{})
	defer sim.Close()
	sc := sim.Config()
	db := filepath.Join(t.TempDir(), "getpaid.db")
	path := writeConfig(t, fmt.Sprintf("database: \"sqlite:%s\"\nbase_url: https://pay.example.com\nbackends:\n  tpay:\n    client_id: %s\n    client_secret: %s\n    merchant_id: %d\n    security_code: %s\n    api_url: %s\n    jws_prefix: %s\n    timeout: 5s\n",
		db, sc.ClientID, sc.ClientSecret, sc.MerchantID, sc.SecurityCode, sim.URL(), sim.URL()))
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := buildRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if err := reg.Provision(ctx, c.BaseURL, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := reg.Get("tpay")
	store, err := openStore(ctx, c.Database)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "tpay", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("25.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@b.pl"}, CreatedAt: now, UpdatedAt: now}
	pr, err := b.Broker.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	p.ExternalID = pr.ExternalID
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
	paid, err := sim.Notification(p.ID, tpaynotify.StatusTrue, p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	refund, err := sim.Notification(p.ID, tpaynotify.StatusChargeback, p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		req  *getpaid.CallbackRequest
		want getpaid.Outcome
	}{{paid, getpaid.OutcomeApplied}, {refund, getpaid.OutcomeApplied}, {refund, getpaid.OutcomeDuplicate}} {
		res, err := eng.HandleCallback(ctx, "tpay", d.req)
		if err != nil || res.Outcome != d.want {
			t.Fatalf("serve: %v %+v, want %s", err, res, d.want)
		}
	}
	_ = eng.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	const want = "would change nothing: a duplicate"
	header := tpay.SignatureHeader + ": " + refund.Header.Get(tpay.SignatureHeader)
	code, out, stderr := runCLI(t, string(refund.Body), "callback", "check", "--config", path, "--backend", "tpay", "--header", header)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("code %d, want 0 and %q:\n%s%s", code, want, out, stderr)
	}
}
