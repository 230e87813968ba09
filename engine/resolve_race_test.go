package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// gate holds the first call through it, once armed, until released.
type gate struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) pass() {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
}

// gatedBroker is the dummy broker whose refund call and refund lookup can be
// held mid-flight.
type gatedBroker struct {
	*dummy.Broker
	refund, lookup *gate
	opID           string // the refund's operation, set before refund.entered closes
}

func (g *gatedBroker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	if g.refund.armed.Load() {
		g.opID = req.OperationID
	}
	g.refund.pass()
	return g.Broker.Refund(ctx, req)
}

func (g *gatedBroker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	g.lookup.pass()
	return g.Broker.FetchOperation(ctx, req)
}

// ParseCallback reads the body "refund-notice <payment> <operation>" as the
// broker's notification that it refunded 4.00 under that operation, with
// the event id its answer and lookup carry; "refund-failed <payment>
// <operation>" and "refund-started <payment> <operation>" as its
// notifications that that refund of 4.00 failed, or was accepted.
func (g *gatedBroker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if f := strings.Fields(string(req.Body)); len(f) == 3 && f[0] == "refund-notice" {
		return &getpaid.Observation{PaymentID: f[1], OperationID: f[2], Kind: getpaid.KindRefunded, EventID: "refund:" + f[2],
			Amount: getpaid.MustParseMoney("4.00", "PLN"), BrokerStatus: "refunded"}, nil
	} else if len(f) == 3 && f[0] == "refund-failed" {
		return &getpaid.Observation{PaymentID: f[1], OperationID: f[2], Kind: getpaid.KindRefundFailed, EventID: "refund-failed:" + f[2],
			Amount: getpaid.MustParseMoney("4.00", "PLN"), BrokerStatus: "rejected"}, nil
	} else if len(f) == 3 && f[0] == "refund-started" {
		return &getpaid.Observation{PaymentID: f[1], OperationID: f[2], Kind: getpaid.KindRefundStarted, EventID: "refund-started:" + f[2],
			Amount: getpaid.MustParseMoney("4.00", "PLN"), BrokerStatus: "pending"}, nil
	}
	return g.Broker.ParseCallback(ctx, req)
}

// heldReadStore holds the first operation read, once armed: an operator who
// has read the operation as open, and writes the decision after.
type heldReadStore struct {
	getpaid.Store
	read *gate
}

func (s *heldReadStore) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := s.Store.Operation(ctx, id)
	s.read.pass()
	return op, err
}

// An operator's decision on a refund and the broker's own word on it (the
// answer to the call, or the reconciler's lookup) meeting: whichever comes
// second finds the operation ended and does not count the refund again. A
// decision reaching an operation already ended is refused; the broker's
// word that the money went back, after an operator said it did not, is
// still recorded.
func TestOperatorDecisionRacingTheBroker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		race    string // what meets the operator's decision: answer, lookup, notification, or answer-before-write
		as      getpaid.OperationState
		wantErr error
	}{
		{"answer after operator said refunded", "answer", getpaid.OpSucceeded, nil},
		{"lookup after operator said refunded", "lookup", getpaid.OpSucceeded, nil},
		{"lookup after operator said not refunded", "lookup", getpaid.OpFailed, nil},
		{"answer recorded while operator decides", "answer-before-write", getpaid.OpSucceeded, getpaid.ErrConflict},
		{"notification read the refund open, operator said refunded", "notification", getpaid.OpSucceeded, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			gb := &gatedBroker{refund: newGate(), lookup: newGate()}
			gs := &heldReadStore{Store: memory.New(), read: newGate()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: gs, Now: now.Now},
				func(d *dummy.Broker) getpaid.Broker { gb.Broker = d; return gb })
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			operator := e.eng // the operator's process; another one while the call runs in this one
			resolve := func(opID string) error {
				_, err := operator.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: opID, As: tc.as, Note: "seen in the panel", By: "alice"})
				return err
			}
			var resolveErr error
			switch tc.race {
			case "answer", "answer-before-write":
				gb.refund.armed.Store(true)
				done := make(chan error, 1)
				go func() {
					_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00")})
					done <- err
				}()
				<-gb.refund.entered // the refund is at the broker, its operation submitting
				// Long enough for the call to be taken for lost (its
				// process dead) by another process: before that a
				// decision is refused (TestResolveWhileTheBrokerCallRuns),
				// and in the process making the call, as long as it runs
				// (TestCallOutlivingSubmittingAfter).
				now.Advance(3 * time.Minute)
				operator = e.another(now.Now)
				if tc.race == "answer" {
					resolveErr = resolve(gb.opID)
					close(gb.refund.release)
					if err := <-done; err != nil {
						t.Fatalf("refund: %v", err)
					}
					break
				}
				gs.read.armed.Store(true)
				resolved := make(chan error, 1)
				go func() { resolved <- resolve(gb.opID) }()
				<-gs.read.entered // the operator read it open
				close(gb.refund.release)
				if err := <-done; err != nil {
					t.Fatalf("refund: %v", err)
				}
				close(gs.read.release)
				resolveErr = <-resolved
			case "lookup", "notification":
				_ = e.d.SetFault(dummy.FaultTimeoutAfter) // refunded, the answer lost
				_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00")})
				var oe *getpaid.OperationError
				if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
					t.Fatalf("refund with a lost answer: %v", err)
				}
				_ = e.d.SetFault(dummy.FaultNone)
				if tc.race == "notification" {
					gs.read.armed.Store(true)
					done := make(chan error, 1)
					go func() {
						_, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST",
							Body: []byte("refund-notice " + p.ID + " " + oe.Op.ID)})
						done <- err
					}()
					<-gs.read.entered // the notification found its operation open
					resolveErr = resolve(oe.Op.ID)
					close(gs.read.release)
					if err := <-done; err != nil {
						t.Fatalf("notification: %v", err)
					}
					break
				}
				now.Advance(time.Minute)
				gb.lookup.armed.Store(true)
				done := make(chan error, 1)
				go func() {
					_, err := e.eng.Reconcile(ctx, 10)
					done <- err
				}()
				<-gb.lookup.entered // the reconciler is asking the broker
				resolveErr = resolve(oe.Op.ID)
				close(gb.lookup.release)
				if err := <-done; err != nil {
					t.Fatalf("reconcile: %v", err)
				}
			}
			if !errors.Is(resolveErr, tc.wantErr) || tc.wantErr == nil && resolveErr != nil {
				t.Fatalf("operator's decision: %v, want %v", resolveErr, tc.wantErr)
			}
			if n, total := e.d.Refunds(p.ID); n != 1 || total != 400 {
				t.Fatalf("the broker made %d refunds of %d, want one of 400", n, total)
			}
			q, err := e.eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Refunded != 400 || q.RefundAsked != 0 || q.Status != getpaid.StatusPartiallyRefunded {
				t.Fatalf("payment %s, refunded %d, asked %d; want partially_refunded, 400 refunded once", q.Status, q.Refunded, q.RefundAsked)
			}
		})
	}
}
