package brokertest

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// brokerDownOffline is the broker-down case of a broker whose Prepare calls
// no API: the payment starts anyway (nothing was asked of the broker), and a
// status poll fails retryably and changes nothing.
func brokerDownOffline(t *testing.T, h *Harness, e *env, mode string) {
	t.Helper()
	h.Sim.SetFailure(mode)
	p := e.pay(t, "down")
	if _, ok := h.Broker.(getpaid.StatusFetcher); !ok {
		return
	}
	if _, err := e.eng.Poll(context.Background(), p.ID); err == nil || !isRetryable(err) {
		t.Fatalf("Poll with broker %s: err = %v, want retryable", mode, err)
	}
	e.unchanged(t, p, 1)
}
