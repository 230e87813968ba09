package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/httpapi"
)

// crashSim is a broker simulator as the SIGKILL tests drive it.
type crashSim struct {
	backend string                                     // the backend's settings, under backends:
	pay     func(rd *getpaid.Redirect) error           // the buyer pays in full
	fault   func(mode string)                          // SetOperationFault
	refunds func(p httpapi.PaymentJSON, op string) int // refunds the broker made for the operation (-1: cannot tell)
	// release, when set, lets the broker's refund notifications through
	// (held until then); stage is "restart" or "settled".
	release func(stage string)
}

// refundKilled pays 100.00, asks a refund of 30.00 that the broker carries
// out without answering (FaultTimeoutAfter), SIGKILLs the server during the
// call, starts it again and waits until the operation is settled. It
// returns the client, the payment and the operation.
func refundKilled(t *testing.T, sim crashSim, fault string, before ...string) (*apiClient, httpapi.PaymentJSON, httpapi.OperationJSON, string) {
	t.Helper()
	addr := freeAddr(t)
	path := writeConfig(t, fmt.Sprintf(`listen: %s
base_url: http://%s
database: sqlite:%s
api_keys: [%s]
resume_operations_after: 7s
backends:
%s`, addr, addr, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey, sim.backend))
	c := &apiClient{t: t, base: "http://" + addr}
	srv := startProcess(t, path, addr)
	var p httpapi.PaymentJSON
	c.do("POST", "/api/v1/payments", "", map[string]any{"order_id": "o-kill", "amount": "100.00", "currency": "PLN",
		"backend":     strings.Fields(sim.backend)[0][:len(strings.Fields(sim.backend)[0])-1],
		"description": "kill", "buyer": map[string]any{"email": "buyer@example.com"}}, &p)
	rd := &getpaid.Redirect{Method: p.Redirect.Method, URL: p.Redirect.URL, Fields: p.Redirect.Fields}
	if err := sim.pay(rd); err != nil {
		t.Fatal(err)
	}
	p = c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "paid" })

	for i, amount := range before {
		status, body := c.send("POST", "/api/v1/payments/"+p.ID+"/refund", fmt.Sprintf("before-%d", i), map[string]any{"amount": amount})
		if status != 200 {
			t.Fatalf("refund %s before: %d %s", amount, status, body)
		}
	}
	sim.fault(fault)
	go func() {
		_, _ = c.send("POST", "/api/v1/payments/"+p.ID+"/refund", "refund-1", map[string]any{"amount": "30.00"})
	}()
	var op httpapi.OperationJSON
	waitFor(t, "the refund written down and sent to the broker", func() bool {
		ops := c.operations(p.ID)
		if len(ops) != len(before)+1 {
			return false
		}
		op = *ops[0]
		n := sim.refunds(p, op.ID)
		return fault != p24test.FaultTimeoutAfter || n != 0
	})
	time.Sleep(200 * time.Millisecond)
	srv.kill()
	sim.fault(p24test.FaultNone)
	startProcess(t, path, addr)
	if sim.release != nil {
		sim.release("restart")
	}
	return c, p, op, path
}

func p24CrashSim(t *testing.T, refundDelay time.Duration) crashSim {
	sim := p24test.Start(p24test.Config{MerchantID: 22222, CRC: "kill-crc", APIKey: "kill-key",
		RetryUnit: 100 * time.Millisecond, RefundDelay: refundDelay})
	t.Cleanup(sim.Close)
	return crashSim{
		backend: fmt.Sprintf("  przelewy24:\n    merchant_id: 22222\n    crc: kill-crc\n    api_key: kill-key\n    api_url: %s\n    timeout: 3s\n", sim.URL()),
		pay: func(rd *getpaid.Redirect) error {
			return sim.Pay(context.Background(), rd, p24test.OutcomePaid)
		},
		fault: sim.SetOperationFault,
		refunds: func(p httpapi.PaymentJSON, op string) int {
			n := 0
			for _, r := range sim.Refunds(p.ID) {
				if r.RequestID == op {
					n++
				}
			}
			return n
		},
	}
}

func dotpayCrashSim(t *testing.T, refundDelay time.Duration) crashSim {
	sim := dotpaytest.Start(dotpaytest.Config{RefundDelay: refundDelay, RetryDelay: 100 * time.Millisecond})
	t.Cleanup(sim.Close)
	sc := sim.Config()
	return crashSim{
		backend: fmt.Sprintf("  dotpay:\n    shop_id: %q\n    pin: %q\n    api_url: %s\n    api_username: %q\n    api_password: %q\n    ip_allowlist: false\n    timeout: 3s\n",
			sc.ShopID, sc.PIN, sim.URL(), sc.APIUsername, sc.APIPassword),
		pay: func(rd *getpaid.Redirect) error {
			return sim.Pay(context.Background(), rd, dotpaytest.OutcomePaid)
		},
		fault:   sim.SetOperationFault,
		refunds: func(_ httpapi.PaymentJSON, op string) int { return len(sim.Operations(op)) },
	}
}

// checkRefunded waits until anything late would have counted, and checks the
// payment's refunded amount, that the broker made the operation's refund
// once, and that the operator sees it succeeded.
func checkRefunded(t *testing.T, c *apiClient, sim crashSim, p httpapi.PaymentJSON, op httpapi.OperationJSON, path, want string) {
	t.Helper()
	time.Sleep(3 * time.Second)
	got := c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return true })
	if n := sim.refunds(p, op.ID); got.Refunded != want || (n != 1 && n != -1) {
		t.Fatalf("refunded %s (%s, pending %s), the broker holds %d refunds of the operation; want %s, one refund\n%+v",
			got.Refunded, got.Status, got.RefundPending, n, want, got.History)
	}
	code, out, errOut := runCLI(t, "", "operations", "list", "--config", path)
	if code != 0 || !strings.Contains(out, op.ID) || !strings.Contains(out, "succeeded") {
		t.Fatalf("operations list: %d %s %s", code, out, errOut)
	}
}

// The second of two refunds of 30.00 is killed at the broker: both count,
// once each, whenever their notifications come.
func TestSecondRefundSurvivesSIGKILLBrokers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sim  func(t *testing.T) crashSim
	}{
		{"p24 notified during the call", func(t *testing.T) crashSim { return p24CrashSim(t, 0) }},
		{"p24 notified before the check", func(t *testing.T) crashSim { return p24CrashSim(t, 3*time.Second) }},
		{"tpay notified during the call", func(t *testing.T) crashSim { return tpayCrashSim(t, "") }},
		{"tpay notified before the check", func(t *testing.T) crashSim { return tpayCrashSim(t, "restart") }},
		{"tpay notified after the check", func(t *testing.T) crashSim { return tpayCrashSim(t, "settled") }},
		{"dotpay notified during the call", func(t *testing.T) crashSim { return dotpayCrashSim(t, 0) }},
		{"dotpay notified before the check", func(t *testing.T) crashSim { return dotpayCrashSim(t, 3*time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crashMatrix(t, false)
			sim := tc.sim(t)
			c, p, op, path := refundKilled(t, sim, p24test.FaultTimeoutAfter, "30.00")
			if strings.HasPrefix(tc.name, "tpay") {
				// Tpay keeps no id of getpaid's: two refunds of one
				// amount, one unrecorded, are left to an operator; the
				// money is counted once all the same.
				c.waitOperation(op.ID, 60*time.Second, func(o httpapi.OperationJSON) bool { return o.LastCheck != "" })
				sim.release("settled")
				time.Sleep(3 * time.Second)
				got := c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return true })
				o := c.waitOperation(op.ID, time.Second, func(httpapi.OperationJSON) bool { return true })
				if got.Refunded != "60.00" || got.RefundPending != "0.00" || o.State != getpaid.OpUnknown {
					t.Fatalf("refunded %s, pending %s, operation %s; want 60.00, 0.00, unknown", got.Refunded, got.RefundPending, o.State)
				}
				_, out, _ := runCLI(t, "", "operations", "show", op.ID, "--config", path)
				if !strings.Contains(out, "Tpay lists 2 refunds of 30.00 PLN") || strings.Contains(out, "in flight") {
					t.Fatalf("operations show says not why it is left to an operator:\n%s", out)
				}
				return
			}
			c.waitOperation(op.ID, 60*time.Second, func(o httpapi.OperationJSON) bool { return o.State == getpaid.OpSucceeded })
			if sim.release != nil {
				sim.release("settled")
			}
			checkRefunded(t, c, sim, p, op, path, "60.00")
		})
	}
}

// tpayCrashSim's CHARGEBACK notifications fail to arrive until released at
// stage ("": never held).
func tpayCrashSim(t *testing.T, stage string) crashSim {
	var held atomic.Bool
	held.Store(stage != "")
	client := &http.Client{Timeout: 5 * time.Second, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if held.Load() && bytes.Contains(body, []byte("CHARGEBACK")) {
			return nil, errors.New("held")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return http.DefaultTransport.RoundTrip(r)
	})}
	sim := tpaytest.Start(tpaytest.Config{HTTPClient: client, NotifyBackoff: 50 * time.Millisecond,
		NotifyMaxBackoff: 300 * time.Millisecond, NotifyAttempts: 1000})
	t.Cleanup(sim.Close)
	c := sim.Config()
	return crashSim{
		backend: fmt.Sprintf("  tpay:\n    client_id: %s\n    client_secret: %s\n    merchant_id: %d\n    security_code: %s\n    api_url: %s\n    jws_prefix: %s\n    timeout: 3s\n",
			c.ClientID, c.ClientSecret, c.MerchantID, c.SecurityCode, sim.URL(), sim.URL()),
		pay: func(rd *getpaid.Redirect) error {
			return sim.Pay(context.Background(), rd, tpaytest.OutcomePaid)
		},
		fault:   sim.SetOperationFault,
		refunds: func(httpapi.PaymentJSON, string) int { return -1 },
		release: func(at string) {
			if at == stage {
				held.Store(false)
			}
		},
	}
}

// crashMatrix skips a row of the SIGKILL matrix unless GETPAID_TEST_HEAVY
// is set: each row runs the server twice and waits on the reconciler, so
// the README's test command runs one row per broker (a timing each), and
// the heavy run every timing of every broker.
func crashMatrix(t *testing.T, everyRun bool) {
	t.Helper()
	if !everyRun && os.Getenv("GETPAID_TEST_HEAVY") == "" {
		t.Skip("one of the SIGKILL matrix's rows: GETPAID_TEST_HEAVY=1 runs it")
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A server SIGKILLed while the broker carried out a refund it never
// answered: started again, the refund is found and counted once, whether
// the broker's refund notification came while the call hung, after the
// restart before the reconciler asked, or after it.
func TestRefundSurvivesSIGKILLBrokers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		sim   func(t *testing.T) crashSim
		fault string
	}{
		{"p24 notified during the call", func(t *testing.T) crashSim { return p24CrashSim(t, 0) }, p24test.FaultTimeoutAfter},
		{"p24 notified before the check", func(t *testing.T) crashSim { return p24CrashSim(t, 3*time.Second) }, p24test.FaultTimeoutAfter},
		{"p24 notified after the check", func(t *testing.T) crashSim { return p24CrashSim(t, 14*time.Second) }, p24test.FaultTimeoutAfter},
		{"p24 never made", func(t *testing.T) crashSim { return p24CrashSim(t, 0) }, p24test.FaultTimeoutBefore},
		{"tpay notified during the call", func(t *testing.T) crashSim { return tpayCrashSim(t, "") }, p24test.FaultTimeoutAfter},
		{"tpay notified before the check", func(t *testing.T) crashSim { return tpayCrashSim(t, "restart") }, p24test.FaultTimeoutAfter},
		{"tpay notified after the check", func(t *testing.T) crashSim { return tpayCrashSim(t, "settled") }, p24test.FaultTimeoutAfter},
		{"tpay never made", func(t *testing.T) crashSim { return tpayCrashSim(t, "") }, p24test.FaultTimeoutBefore},
		{"dotpay notified during the call", func(t *testing.T) crashSim { return dotpayCrashSim(t, 0) }, p24test.FaultTimeoutAfter},
		{"dotpay notified before the check", func(t *testing.T) crashSim { return dotpayCrashSim(t, 3*time.Second) }, p24test.FaultTimeoutAfter},
		{"dotpay notified after the check", func(t *testing.T) crashSim { return dotpayCrashSim(t, 14*time.Second) }, p24test.FaultTimeoutAfter},
		{"dotpay never made", func(t *testing.T) crashSim { return dotpayCrashSim(t, 0) }, p24test.FaultTimeoutBefore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crashMatrix(t, tc.name == "p24 notified during the call" || tc.name == "tpay notified before the check" || tc.name == "dotpay never made")
			sim := tc.sim(t)
			c, p, op, path := refundKilled(t, sim, tc.fault)
			if tc.fault == p24test.FaultTimeoutBefore {
				c.waitOperation(op.ID, 60*time.Second, func(o httpapi.OperationJSON) bool { return o.State == getpaid.OpFailed })
				got := c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return true })
				if got.Status != "paid" || got.Refunded != "0.00" || got.RefundPending != "0.00" {
					t.Fatalf("after a refund never made: %s, refunded %s, pending %s", got.Status, got.Refunded, got.RefundPending)
				}
				var again struct {
					Operation httpapi.OperationJSON `json:"operation"`
				}
				c.do("POST", "/api/v1/payments/"+p.ID+"/refund", "refund-2", map[string]any{"amount": "100.00"}, &again)
				c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "refunded" && p.Refunded == "100.00" })
				return
			}
			c.waitOperation(op.ID, 60*time.Second, func(o httpapi.OperationJSON) bool { return o.State == getpaid.OpSucceeded })
			c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "partially_refunded" })
			if sim.release != nil {
				sim.release("settled")
			}
			checkRefunded(t, c, sim, p, op, path, "30.00")
		})
	}
}

// holdingHost serves a simulator's handler, and holds the answer of the
// requests hold picks (the simulator carried them out) until released.
func holdingHost(t *testing.T, h http.Handler, hold func(*http.Request) bool) (url string, done <-chan struct{}, release func()) {
	held := make(chan struct{})
	gone := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hold(r) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		once.Do(func() { close(held) })
		<-gone
	}))
	t.Cleanup(srv.Close)
	var rel sync.Once
	t.Cleanup(func() { rel.Do(func() { close(gone) }) })
	return srv.URL, held, func() { rel.Do(func() { close(gone) }) }
}

// A server SIGKILLed while the broker registered its payment, before it
// had the answer: nothing is stored; started again, the create sent again
// with its Idempotency-Key makes the one payment, which the buyer pays.
func TestCreateSurvivesSIGKILLBrokers(t *testing.T) {
	t.Parallel()
	type broker struct {
		backend string
		pay     func(*getpaid.Redirect) error
		held    <-chan struct{}
		release func()
	}
	firstOnly := func(path string) func(*http.Request) bool {
		var seen atomic.Bool
		return func(r *http.Request) bool { return r.Method == "POST" && r.URL.Path == path && !seen.Swap(true) }
	}
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) broker
	}{
		{"przelewy24", func(t *testing.T) broker {
			sim := p24test.New(p24test.Config{MerchantID: 22222, CRC: "kill-crc", APIKey: "kill-key", RetryUnit: 100 * time.Millisecond})
			t.Cleanup(sim.Close)
			u, held, release := holdingHost(t, sim.Handler(), firstOnly("/api/v1/transaction/register"))
			sim.SetBaseURL(u)
			return broker{fmt.Sprintf("  przelewy24:\n    merchant_id: 22222\n    crc: kill-crc\n    api_key: kill-key\n    api_url: %s\n    timeout: 3s\n", u),
				func(rd *getpaid.Redirect) error { return sim.Pay(context.Background(), rd, p24test.OutcomePaid) }, held, release}
		}},
		{"tpay", func(t *testing.T) broker {
			sim := tpaytest.New(tpaytest.Config{})
			t.Cleanup(sim.Close)
			u, held, release := holdingHost(t, sim.Handler(), firstOnly("/transactions"))
			sim.SetBaseURL(u)
			c := sim.Config()
			return broker{fmt.Sprintf("  tpay:\n    client_id: %s\n    client_secret: %s\n    merchant_id: %d\n    security_code: %s\n    api_url: %s\n    jws_prefix: %s\n    timeout: 3s\n",
				c.ClientID, c.ClientSecret, c.MerchantID, c.SecurityCode, u, u),
				func(rd *getpaid.Redirect) error { return sim.Pay(context.Background(), rd, tpaytest.OutcomePaid) }, held, release}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crashMatrix(t, tc.name == "przelewy24")
			b := tc.start(t)
			addr := freeAddr(t)
			path := writeConfig(t, fmt.Sprintf("listen: %s\nbase_url: http://%s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n%s",
				addr, addr, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey, b.backend))
			c := &apiClient{t: t, base: "http://" + addr}
			srv := startProcess(t, path, addr)
			req := map[string]any{"order_id": "o-kill", "amount": "100.00", "currency": "PLN", "backend": tc.name, "description": "kill",
				"buyer": map[string]any{"email": "buyer@example.com"}}
			go func() { _, _ = c.send("POST", "/api/v1/payments", "create-1", req) }()
			select {
			case <-b.held:
			case <-time.After(20 * time.Second):
				t.Fatal("the create never reached the broker")
			}
			srv.kill()
			b.release()
			startProcess(t, path, addr)
			var p httpapi.PaymentJSON
			c.do("POST", "/api/v1/payments", "create-1", req, &p)
			var again httpapi.PaymentJSON
			c.do("POST", "/api/v1/payments", "create-1", req, &again)
			if again.ID != p.ID {
				t.Fatalf("the retried create made %s and %s", p.ID, again.ID)
			}
			if err := b.pay(&getpaid.Redirect{Method: p.Redirect.Method, URL: p.Redirect.URL, Fields: p.Redirect.Fields}); err != nil {
				t.Fatal(err)
			}
			got := c.waitPayment(p.ID, func(p httpapi.PaymentJSON) bool { return p.Status == "paid" })
			var page struct {
				Payments []httpapi.PaymentJSON `json:"payments"`
			}
			c.do("GET", "/api/v1/payments?order_id=o-kill", "", nil, &page)
			if len(page.Payments) != 1 || got.Captured != "100.00" {
				t.Fatalf("payments of the order: %+v; captured %s", page.Payments, got.Captured)
			}
		})
	}
}
