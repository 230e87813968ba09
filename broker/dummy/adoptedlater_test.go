package dummy

import (
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A record the dummy took from getpaid's (the payment paid through another
// process, or by a scripted callback) follows getpaid's when getpaid later
// records more money: a top-up paid through another process, or a second
// callback scripted. Refunding the money paid since was refused ("exceeds
// what was captured"), although getpaid, and a real broker, had it.
func TestAdoptedRecordFollowsLaterMoney(t *testing.T) {
	t.Parallel()
	pln := func(minor int64) getpaid.Money { return getpaid.Money{Minor: minor, Currency: "PLN"} }
	tests := []struct {
		name        string
		first, then getpaid.Payment
		op          func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error)
		want        getpaid.Kind
	}{
		{"refund of a top-up paid after the first refund",
			getpaid.Payment{Status: getpaid.StatusPartiallyPaid, Captured: 500},
			getpaid.Payment{Status: getpaid.StatusPartiallyRefunded, Captured: 1000, Refunded: 500},
			func(b *Broker, p *getpaid.Payment) (*getpaid.Observation, error) {
				return b.Refund(t.Context(), &getpaid.RefundRequest{Payment: p, Amount: pln(500), OperationID: "op_2"})
			}, getpaid.KindRefunded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := New(Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			p := tt.first
			p.ID, p.Backend, p.Amount = "pay_1", "dummy", pln(1000)
			if _, err := b.Refund(t.Context(), &getpaid.RefundRequest{Payment: &p, Amount: pln(500), OperationID: "op_1"}); err != nil {
				t.Fatalf("first refund: %v", err)
			}
			q := tt.then
			q.ID, q.Backend, q.Amount = p.ID, p.Backend, p.Amount
			obs, err := tt.op(b, &q)
			if err != nil || obs.Kind != tt.want {
				t.Fatalf("%+v, %v; want %s", obs, err, tt.want)
			}
		})
	}
}
