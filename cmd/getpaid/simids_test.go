package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
)

// A simulator started again (getpaid simulate restarted, the demo run again
// on its kept database) must not hand out the broker ids of an earlier run:
// getpaid refuses a notification whose broker id is another payment's, so
// every payment after a restart would have stayed unpaid.
func TestSimulatorRunsGiveNewBrokerIDs(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"payu", "przelewy24", "dotpay", "transferuj"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			first, second := paidBrokerID(t, name), paidBrokerID(t, name)
			if first == "" || first == second {
				t.Fatalf("two runs of the %s simulator gave the broker id %q and %q", name, first, second)
			}
		})
	}
}

// paidBrokerID starts a new simulator of name, pays one payment through it
// and returns the broker id its notification names.
func paidBrokerID(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	sim, b := simulatedBackend(t, name, simOptions{settleAfter: time.Hour, retryUnit: time.Hour})
	notified := make(chan *getpaid.Observation, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o, err := b.ParseCallback(r.Context(), &getpaid.CallbackRequest{Method: r.Method, Header: r.Header, Body: body})
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		select {
		case notified <- o:
		default:
		}
	}))
	t.Cleanup(recv.Close)
	if err := b.(getpaid.Provisioner).Provision(ctx, getpaid.NewEnv(name, recv.URL, nil)); err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "simulated", Buyer: getpaid.Buyer{Email: "buyer@example.com"}}
	prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.pay(ctx, prep.Redirect, "paid"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case o := <-notified:
			if o.ExternalID != "" {
				return o.ExternalID
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no notification naming a broker id", name)
		}
	}
}

// simulatedBackend starts the simulator of name with o, serves it, and
// builds the backend of that kind pointed at it, as "getpaid demo" does.
func simulatedBackend(t *testing.T, name string, o simOptions) (*simulator, getpaid.Broker) {
	t.Helper()
	sim, settings, err := newSimulator(name, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.handler)
	t.Cleanup(func() { srv.Close(); sim.close() })
	sim.setBase(srv.URL)
	sim.pointAt(settings, srv.URL)
	var node yaml.Node
	if err := node.Encode(settings); err != nil {
		t.Fatal(err)
	}
	b, err := backendKinds()[name].build(name, node)
	if err != nil {
		t.Fatal(err)
	}
	return sim, b
}
