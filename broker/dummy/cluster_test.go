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
