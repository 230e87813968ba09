package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// captureReadFailing fails the reads of a payment's captures (with all,
// of its operations of any kind) while armed (a database glitch, or the
// notification's request ending as it reads).
type captureReadFailing struct {
	*memory.Store
	armed atomic.Bool
	all   bool
}

func (s *captureReadFailing) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	if s.armed.Load() && (f.Kind == getpaid.OpCapture || s.all) {
		return nil, context.Canceled
	}
	return s.Store.Operations(ctx, f)
}

// A broker that captures out of a hold and releases the rest (PayU)
// completes the order while getpaid's capture of part of it is in doubt,
// stating the whole amount: what the capture asked for is what was
// captured, the rest released. When the capture under way cannot be read,
// the notification is not applied as a capture of the whole (the released
// rest counted as captured for good: a later capture answer or check of
// less changes nothing); it fails, and the broker's next delivery counts
// what was asked.
func TestCompletedWhileTheCaptureUnderWayCannotBeRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fb := &fakeBroker{}
	s := &captureReadFailing{Store: memory.New()}
	e := newEngine(t, fb, s)
	p := create(t, e)
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindLocked, Amount: p.Amount, HoldFirst: true, EventID: "held"}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	fb.obs, fb.err = nil, errors.New("connection reset") // the capture's answer lost: in doubt
	part := getpaid.MustParseMoney("3.00", "PLN")
	if _, err := e.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &part, IdempotencyKey: "c"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
		t.Fatalf("capture: %v, want it in doubt", err)
	}
	fb.err = nil
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindCaptured, Amount: p.Amount, HoldFirst: true, ReleaseRest: true, EventID: "completed"}
	s.armed.Store(true)
	_, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
	if q, _ := e.Payment(ctx, p.ID); err == nil || q.Captured != 0 || q.Locked != p.Amount.Minor {
		t.Fatalf("COMPLETED while the capture under way cannot be read: %v; captured %d locked %d; want it refused, nothing counted", err, q.Captured, q.Locked)
	}
	s.armed.Store(false)
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.Payment(ctx, p.ID); q.Captured != part.Minor || q.Locked != 0 {
		t.Fatalf("COMPLETED delivered again: captured %d locked %d; want %d captured, the rest released", q.Captured, q.Locked, part.Minor)
	}
}

// releaseLosing is the dummy broker whose release answer is lost (in doubt)
// and whose notification "ended" says only that the hold failed (PayU's
// CANCELED).
type releaseLosing struct{ *dummy.Broker }

func (b *releaseLosing) Release(context.Context, *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	return nil, &getpaid.BrokerError{Op: "test: release", Retryable: true, Happened: true, Err: context.DeadlineExceeded}
}

func (b *releaseLosing) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if id, ok := strings.CutPrefix(string(req.Body), "ended "); ok {
		return &getpaid.Observation{PaymentID: id, Kind: getpaid.KindFailed, EventID: "ended-" + id, BrokerStatus: "CANCELED"}, nil
	}
	return b.Broker.ParseCallback(ctx, req)
}

// The broker ends a hold while getpaid's release of it is in doubt, saying
// only "failed": that is the release done. When the release under way
// cannot be read, the notification is not applied as the payment failing;
// it fails, and the broker's next delivery records the release.
func TestFailedWhileTheReleaseUnderWayCannotBeRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &captureReadFailing{Store: memory.New(), all: true}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: s}, func(d *dummy.Broker) getpaid.Broker { return &releaseLosing{Broker: d} })
	p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
	if _, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
		t.Fatalf("release: %v, want it in doubt", err)
	}
	ended := &getpaid.CallbackRequest{Method: "POST", Body: []byte("ended " + p.ID)}
	s.armed.Store(true)
	_, err := e.eng.HandleCallback(ctx, "dummy", ended)
	s.armed.Store(false)
	if q, _ := e.eng.Payment(ctx, p.ID); err == nil || q.Status != getpaid.StatusPreAuth {
		t.Fatalf("CANCELED while the release under way cannot be read: %v; payment %s; want it refused, nothing changed", err, q.Status)
	}
	if _, err := e.eng.HandleCallback(ctx, "dummy", ended); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status == getpaid.StatusFailed || q.Locked != 0 {
		t.Fatalf("CANCELED delivered again: payment %s, locked %d; want the hold released, not failed", q.Status, q.Locked)
	}
}

// A refund made in the broker's panel (another refund id) is reported while
// getpaid's own refund is pending at the broker. When the refunds under way
// cannot be read (a database glitch, or the notification's request ending
// as it reads: the write goes on without it), the notification is not
// applied as if it were getpaid's refund, taking that one's reservation
// (what is left to refund overstated, a refund of money already on its way
// back asked of the broker); it fails, and the broker's next delivery is
// recorded beside the pending refund.
func TestPanelRefundWhileTheRefundsUnderWayCannotBeRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fb := &fakeBroker{}
	s := &captureReadFailing{Store: memory.New(), all: true}
	e := newEngine(t, refBroker{fb}, s)
	p := paidPayment(t, e, fb) // 10.00 PLN
	pendingRefund(t, e, p)     // 3.00, pending at the broker
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: p.Money(500), EventID: "refund:panel-1", BrokerRef: "panel-1"}
	s.armed.Store(true)
	_, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
	s.armed.Store(false)
	if q, _ := e.Payment(ctx, p.ID); err == nil && (q.Refunded != 500 || q.RefundAsked != 300) || err != nil && (q.Refunded != 0 || q.RefundAsked != 300) {
		t.Fatalf("panel refund while the refunds under way cannot be read: %v; refunded %d asked %d; want it refused with nothing changed (or recorded keeping the 3.00 asked)", err, q.Refunded, q.RefundAsked)
	}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.Payment(ctx, p.ID); q.Refunded != 500 || q.RefundAsked != 300 {
		t.Fatalf("panel refund delivered again: refunded %d asked %d; want 500 refunded, 300 still asked", q.Refunded, q.RefundAsked)
	}
	if _, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("2.01"), IdempotencyKey: "r2"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("refund of 2.01 with 2.00 left: %v, want it refused", err)
	}
}
