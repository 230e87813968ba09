package dummy

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Several getpaid processes on one database each have their own dummy: the
// paid callback reaches one of them, a refund, capture or release may be
// asked of another. That one takes getpaid's record of the money as the
// broker's (a real broker's record is one, whichever process asks), and
// still refuses what the record does not allow.
func TestOperationsThroughAnotherProcess(t *testing.T) {
	t.Parallel()
	pln := func(minor int64) getpaid.Money { return getpaid.Money{Minor: minor, Currency: "PLN"} }
	tests := []struct {
		name    string
		p       getpaid.Payment
		op      func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error)
		want    getpaid.Kind
		wantErr string
	}{
		{"refund of a payment paid through another process",
			getpaid.Payment{Status: getpaid.StatusPaid, Captured: 1000},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: pln(1000), OperationID: "op_1"})
			}, getpaid.KindRefunded, ""},
		{"refund of more than is left",
			getpaid.Payment{Status: getpaid.StatusPartiallyRefunded, Captured: 1000, Refunded: 400},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: pln(700), OperationID: "op_1"})
			}, "", "exceeds what was captured"},
		{"refund of a payment nothing was paid for",
			getpaid.Payment{Status: getpaid.StatusPrepared},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: pln(1000), OperationID: "op_1"})
			}, "", "nothing was paid"},
		{"capture of a hold made through another process",
			getpaid.Payment{Status: getpaid.StatusPreAuth, Locked: 1000},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Capture(t.Context(), &getpaid.CaptureRequest{Payment: p, Amount: pln(600), OperationID: "op_1"})
			}, getpaid.KindCaptured, ""},
		{"release of a hold made through another process",
			getpaid.Payment{Status: getpaid.StatusPreAuth, Locked: 1000},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Release(t.Context(), &getpaid.ReleaseRequest{Payment: p, OperationID: "op_1"})
			}, getpaid.KindReleased, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := New(Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			p := tt.p
			p.ID, p.Backend, p.Amount = "pay_1", "dummy", pln(1000)
			obs, err := tt.op(b, &p)
			if tt.wantErr != "" {
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want a broker error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || obs.Kind != tt.want {
				t.Fatalf("%+v, %v; want %s", obs, err, tt.want)
			}
		})
	}
}

// A dummy whose process was restarted (or another process's dummy) has no
// record of refunds it did not make itself: asked how a refund in doubt
// ended, it must not answer "never made" (getpaid would mark the refund
// failed and let the money be refunded twice); it cannot tell, and says so.
func TestFetchOperationWithoutRecord(t *testing.T) {
	t.Parallel()
	pln := func(minor int64) getpaid.Money { return getpaid.Money{Minor: minor, Currency: "PLN"} }
	p := &getpaid.Payment{ID: "pay_1", Backend: "dummy", Amount: pln(1000), Status: getpaid.StatusPaid, Captured: 1000}
	op := &getpaid.Operation{ID: "op_1", PaymentID: "pay_1", Kind: getpaid.OpRefund, Amount: pln(300)}

	// The first run refunded, and its answer was lost.
	first, err := New(Config{Secret: "s", Fault: FaultTimeoutAfter})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: op.Amount, OperationID: op.ID}); err == nil {
		t.Fatal("the faulty refund answered")
	}
	for _, tt := range []struct {
		name  string
		setup func(b *Broker)
	}{
		{"no record of the payment", func(*Broker) {}},
		{"record taken from getpaid's", func(b *Broker) {
			// pay_1's record is taken over by a refund made here.
			if _, err := b.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: pln(100), OperationID: "op_2"}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			restarted, err := New(Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(restarted)
			_, err = restarted.FetchOperation(t.Context(), &getpaid.OperationRequest{Payment: p, Operation: op})
			if err == nil || errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("lookup after a restart: %v; want an error that is not ErrNotFound", err)
			}
		})
	}
	// The process that made it still knows.
	first.SetFault(FaultNone)
	if obs, err := first.FetchOperation(t.Context(), &getpaid.OperationRequest{Payment: p, Operation: op}); err != nil || obs.Kind != getpaid.KindRefunded {
		t.Fatalf("lookup in the process that refunded: %v %v", obs, err)
	}
}
