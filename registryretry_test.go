package getpaid_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// httpsOnly is a broker of the shop's own whose Provision refuses a plain
// http base URL.
type httpsOnly struct{ ptrBroker }

func (*httpsOnly) Provision(_ context.Context, env getpaid.Env) error {
	if !strings.HasPrefix(env.BaseURL, "https://") {
		return errors.New("https only")
	}
	return nil
}

// A Provision that failed part-way (one backend refused) left the backends
// before it provisioned for that base URL; provisioned again for another,
// the registry said nothing and the first of them refused, saying a broker
// value belongs to one registry, though none was in two. The registry now
// refuses it itself, naming the base URL its backends serve; the same base
// URL again is still taken.
func TestRegistryProvisionAfterPartialFailure(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: "s3cret-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "a", Broker: d}, getpaid.Backend{Name: "b", Broker: &httpsOnly{ptrBroker{currencies: []string{"PLN"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := reg.Provision(ctx, "http://shop.example/pay", nil); err == nil {
		t.Fatal("provisioned although backend b refused")
	}
	err = reg.Provision(ctx, "https://shop.example/pay", nil)
	if !errors.Is(err, getpaid.ErrInvalidRequest) || !strings.HasPrefix(err.Error(), "registry: ") || !strings.Contains(err.Error(), "serve http://shop.example/pay") || strings.Contains(err.Error(), "belongs to one registry") {
		t.Errorf("provisioned again for another base URL: %v, want the registry's refusal naming http://shop.example/pay", err)
	}
	if err := reg.Provision(ctx, "http://shop.example/pay", nil); err == nil || strings.Contains(err.Error(), "serve http") {
		t.Errorf("provisioned again for the same base URL: %v, want backend b's own refusal again", err)
	}
}
