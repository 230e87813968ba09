package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// refusingRefunds is the dummy broker whose refunds fail before anything
// is done, with err (internal detail in its chain: addresses, the broker's
// raw answer).
type refusingRefunds struct {
	*dummy.Broker
	err *getpaid.BrokerError
}

func (b *refusingRefunds) Refund(context.Context, *getpaid.RefundRequest) (*getpaid.Observation, error) {
	return nil, b.err
}

// A money operation the broker did not carry out is 422 operation_failed
// with a message meant for the client, on the first answer and on a retry
// with the same key: the broker's error chain (its URL, "dial tcp", its raw
// answer) stays in the operation's "error", for operators, and out of the
// message, as the README promises of every error message.
func TestFailedOperationMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  *getpaid.BrokerError
		want string
	}{
		{"unreachable", &getpaid.BrokerError{Op: "refusing: refund", Retryable: true,
			Err: errors.New(`Post "http://10.0.0.1/api/refunds": dial tcp 10.0.0.1:443: connect: connection refused`)},
			"the operation failed: the broker could not be reached, and nothing was done; try again with a new Idempotency-Key"},
		{"refused", &getpaid.BrokerError{Op: "refusing: refund", Status: 400,
			Err: errors.New(`{"status":{"statusCode":"ERROR_VALUE_INVALID"}}`)},
			"the operation failed: the broker refused it (HTTP 400)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := dummy.New(dummy.Config{Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "refusing", Broker: &refusingRefunds{Broker: d, err: tc.err}}}})
			p := e.create("o-refuse", "10.00", "PLN", "refusing")
			body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			if resp, b := e.postCallback("refusing", body, sig, nil); resp.StatusCode != 200 {
				t.Fatalf("callback: %d %s", resp.StatusCode, b)
			}
			for _, attempt := range []string{"first", "retry with the same key"} {
				code, a, _ := e.action(p.ID, "refund", "4.00", keyed("k-refuse"))
				if code != 422 || a.Error.Code != "operation_failed" || a.Error.Operation == nil || a.Error.Operation.State != getpaid.OpFailed {
					t.Fatalf("%s: %d %+v, want 422 operation_failed with the failed operation", attempt, code, a.Error)
				}
				want := tc.want
				if attempt != "first" {
					// only the operation's state and error text are kept
					want = "the operation failed: the broker did not carry it out (the operation's error says why)"
				}
				if a.Error.Message != want {
					t.Errorf("%s: message %q, want %q", attempt, a.Error.Message, want)
				}
				for _, w := range internalWords {
					if strings.Contains(a.Error.Message, w) {
						t.Errorf("%s: message leaks %q: %q", attempt, w, a.Error.Message)
					}
				}
				if a.Error.Operation.Error == "" {
					t.Errorf("%s: the operation keeps no error for operators", attempt)
				}
			}
			if got := e.payment(p.ID); got.Status != getpaid.StatusPaid || got.Refunded != "0.00" {
				t.Fatalf("a refund not done changed the payment: %s refunded %s", got.Status, got.Refunded)
			}
		})
	}
}
