package brokertest

import (
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// NewEngine is an engine over an in-memory store with backends registered,
// its handler meant to be mounted at base; t's cleanup closes it. A
// backend's own test of a flow through getpaid starts here.
func NewEngine(t testing.TB, base string, backends ...getpaid.Backend) *engine.Engine {
	t.Helper()
	reg, err := getpaid.NewRegistry(backends...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
