package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Issue 9, acceptance 5: the server is SIGKILLed after it wrote a refund
// down (submitting) and before PayU answered. Started again, its reconciler
// asks PayU what became of the refund (by its extRefundId, the operation's
// id) and records that: applied, it is the one refund PayU has and it
// finishes with PayU's notification; not applied, it failed and the money
// can be refunded again. A retry with the same Idempotency-Key never makes a
// second refund.
func TestOperationSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   string                 // how PayU treats the refund before the kill
		after   getpaid.OperationState // the operation once the reconciler asked
		refunds int                    // refunds PayU holds then
	}{
		{"PayU applied it", payutest.FaultTimeoutAfter, getpaid.OpPending, 1},
		{"PayU never applied it", payutest.FaultTimeoutBefore, getpaid.OpFailed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := payutest.Start(posPLN)
			t.Cleanup(sim.Close)
			addr := freeAddr(t)
			path := writeConfig(t, fmt.Sprintf(`listen: %s
base_url: http://%s
database: sqlite:%s
api_keys: [%s]
resume_operations_after: 7s
backends:
  payu:
    pos_id: %q
    second_key: %s
    client_id: %q
    client_secret: %s
    api_url: %s
    timeout: 3s
`, addr, addr, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey,
				posPLN.PosID, posPLN.SecondKey, posPLN.PosID, posPLN.ClientSecret, sim.URL()))
			c := &apiClient{t: t, base: "http://" + addr}
			srv := startProcess(t, path, addr)

			var p httpapi.PaymentJSON
			c.do("POST", "/api/v1/payments", "", map[string]any{"order_id": "o-kill", "amount": "100.00", "currency": "PLN", "backend": "payu"}, &p)
			rd := &getpaid.Redirect{Method: p.Redirect.Method, URL: p.Redirect.URL, Fields: p.Redirect.Fields}
			if err := sim.Pay(context.Background(), rd, payutest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "paid" })

			// The refund's broker call hangs; the server dies during it.
			sim.SetOperationFault(tc.fault)
			go func() {
				// Its connection dies with the server: no answer expected.
				_, _ = c.send("POST", "/api/v1/payments/"+p.ID+"/refund", "refund-1", map[string]any{"amount": "30.00"})
			}()
			var op httpapi.OperationJSON
			waitFor(t, "the refund written down and sent to PayU", func() bool {
				ops := c.operations(p.ID)
				if len(ops) != 1 || ops[0].State != getpaid.OpSubmitting {
					return false
				}
				op = *ops[0]
				return tc.fault != payutest.FaultTimeoutAfter || len(sim.Refunds(p.ExternalID)) == 1
			})
			time.Sleep(200 * time.Millisecond) // the request is at PayU, hanging
			srv.kill()
			sim.SetOperationFault(payutest.FaultNone)
			startProcess(t, path, addr)

			c.waitOperation(op.ID, 40*time.Second, func(o httpapi.OperationJSON) bool { return o.State == tc.after })
			if got := sim.Refunds(p.ExternalID); len(got) != tc.refunds {
				t.Fatalf("PayU holds %d refunds, want %d: %v", len(got), tc.refunds, got)
			}
			if tc.refunds == 1 {
				if ext := sim.Refunds(p.ExternalID)[0][1]; ext != op.ID {
					t.Fatalf("PayU's refund has extRefundId %q, want the operation's id %s", ext, op.ID)
				}
			}

			// The same key again: the recorded operation, no second call.
			status, body := c.send("POST", "/api/v1/payments/"+p.ID+"/refund", "refund-1", map[string]any{"amount": "30.00"})
			if tc.after == getpaid.OpFailed {
				if status != 422 || !bytes.Contains(body, []byte(`"operation_failed"`)) {
					t.Fatalf("retry of a failed refund: %d %s, want 422 operation_failed", status, body)
				}
				// The money is refundable again, with a new key.
				var again struct {
					Operation httpapi.OperationJSON `json:"operation"`
				}
				c.do("POST", "/api/v1/payments/"+p.ID+"/refund", "refund-2", map[string]any{"amount": "30.00"}, &again)
				if again.Operation.ID == op.ID || len(sim.Refunds(p.ExternalID)) != 1 {
					t.Fatalf("a new refund after the failed one: %+v, PayU holds %v", again.Operation, sim.Refunds(p.ExternalID))
				}
				return
			}
			var res struct {
				Operation httpapi.OperationJSON `json:"operation"`
			}
			if status != 200 || json.Unmarshal(body, &res) != nil || res.Operation.ID != op.ID {
				t.Fatalf("retry with the same key: %d %s, want the recorded operation %s", status, body, op.ID)
			}
			// PayU finalizes the refund: its notification finishes the operation.
			if err := sim.SettleRefund(p.ExternalID, op.ID, "FINALIZED"); err != nil {
				t.Fatal(err)
			}
			c.waitOperation(op.ID, 20*time.Second, func(o httpapi.OperationJSON) bool { return o.State == getpaid.OpSucceeded })
			got := c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "partially_refunded" })
			if got.Refunded != "30.00" || len(sim.Refunds(p.ExternalID)) != 1 {
				t.Fatalf("after the refund: refunded %s, PayU holds %v; want 30.00 and one refund", got.Refunded, sim.Refunds(p.ExternalID))
			}
		})
	}
}

// apiClient calls a getpaid server's JSON API with the test key.
type apiClient struct {
	t    *testing.T
	base string
}

// send makes one request; key is the Idempotency-Key ("" for none).
func (c *apiClient) send(method, path, key string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := (&http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// do makes a request that must succeed, and decodes its answer into out.
func (c *apiClient) do(method, path, key string, body, out any) {
	c.t.Helper()
	status, b := c.send(method, path, key, body)
	if status/100 != 2 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
	}
}

func (c *apiClient) operations(paymentID string) []*httpapi.OperationJSON {
	c.t.Helper()
	var page struct {
		Operations []*httpapi.OperationJSON `json:"operations"`
	}
	c.do("GET", "/api/v1/payments/"+paymentID+"/operations", "", nil, &page)
	return page.Operations
}

func (c *apiClient) waitOperation(id string, limit time.Duration, ok func(httpapi.OperationJSON) bool) httpapi.OperationJSON {
	c.t.Helper()
	var op httpapi.OperationJSON
	deadline := time.Now().Add(limit)
	for {
		if status, b := c.send("GET", "/api/v1/operations/"+id, "", nil); status == 200 && json.Unmarshal(b, &op) == nil && ok(op) {
			return op
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("operation %s is %s (%s) after %s", id, op.State, op.Error, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *apiClient) waitPayment(id string, ok func(httpapi.PaymentJSON) bool) httpapi.PaymentJSON {
	c.t.Helper()
	var p httpapi.PaymentJSON
	deadline := time.Now().Add(20 * time.Second)
	for {
		if status, b := c.send("GET", "/api/v1/payments/"+id, "", nil); status == 200 && json.Unmarshal(b, &p) == nil && ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("payment %s is %s", id, p.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
