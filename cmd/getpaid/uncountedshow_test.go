package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// TestEventsShowUncountedAttemptIsNoReplay: an attempt that failed on
// getpaid's side (out of file descriptors) is recorded with the attempts
// and not counted; events show said of a delivery sent after one, never
// replayed, "delivered after 1 recorded attempt since it was last replayed
// (2 in all)", taking the attempt not counted for one before a replay.
func TestEventsShowUncountedAttemptIsNoReplay(t *testing.T) {
	t.Parallel()
	path := sqliteConfig(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	ctx := context.Background()
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
	defer store.Close()
	ecfg, err := engineConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	// Events written with their deliveries, which this test attempts.
	ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.NoDelivery = store, reg, slog.New(slog.DiscardHandler), true
	eng, err := engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-uncounted", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	page, err := store.Deliveries(ctx, getpaid.DeliveryFilter{})
	if err != nil || len(page.Deliveries) == 0 {
		t.Fatalf("deliveries: %+v, %v", page, err)
	}
	consumer := page.Deliveries[0].Consumer
	attempt := func(res getpaid.DeliveryResult) string {
		t.Helper()
		now := time.Now()
		got, err := store.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "t", Now: now, Lease: time.Minute, Limit: 1, Consumers: []string{consumer}})
		if err != nil || len(got) != 1 {
			t.Fatalf("claim: %v, %v", got, err)
		}
		res.ID, res.Owner, res.Attempt.At = got[0].Delivery.ID, "t", now
		if err := store.FinishDeliveries(ctx, []getpaid.DeliveryResult{res}); err != nil {
			t.Fatal(err)
		}
		return got[0].Event.ID
	}
	id := attempt(getpaid.DeliveryResult{Local: true, NextAt: time.Now().Add(-time.Second),
		Attempt: getpaid.Attempt{Error: "webhook: not sent, getpaid is out of file descriptors"}})
	if again := attempt(getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{Status: 200}}); again != id {
		t.Fatalf("delivered %s, not %s", again, id)
	}
	code, out, errOut := runCLI(t, "", "events", "show", id, "--config", path)
	if code != 0 {
		t.Fatalf("events show: %d %s%s", code, out, errOut)
	}
	if want := "delivered after 1 counted attempt (2 in all:"; !strings.Contains(out, want) || strings.Contains(out, "since it was last replayed") {
		t.Errorf("events show of a delivery never replayed:\n%s\nwant it to say %q, not that it was replayed", out, want)
	}
}
