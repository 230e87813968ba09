package przelewy24_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
	"github.com/getpaid-go/getpaid/brokertest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	brokertest.Run(t, func(t *testing.T) *brokertest.Harness {
		// A shop (POS) id other than the merchant id, so a backend that
		// sends one where the other belongs is caught.
		sim := p24test.Start(p24test.Config{MerchantID: 11111, PosID: 22222, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
			RetryUnit: time.Millisecond, HangTimeout: 3 * time.Second})
		t.Cleanup(sim.Close)
		b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, PosID: 22222, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
			APIURL: sim.URL(), HTTPClient: &http.Client{Timeout: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return &brokertest.Harness{
			Name: "przelewy24", Broker: b, Sim: sim, Amount: getpaid.MustParseMoney("123.45", "PLN"),
			PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, amount.Minor, amount.Currency)
			},
			DeclinedStatus:     getpaid.StatusPrepared, // Przelewy24 sends no notification for a failed payment
			WrongAmountAdvance: true,                   // another amount is an advance, held for an operator
			ResignOtherKey: func(req *getpaid.CallbackRequest) (*getpaid.CallbackRequest, error) {
				return p24test.Resign(req, "another-merchants-crc")
			},
		}
	})
}

// A payment whose notifications never arrive is finished by polling, and
// only after transaction/verify succeeded.
func TestPollFinishesPaymentWithoutNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key", MaxAttempts: 1})
	t.Cleanup(sim.Close)
	b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key", APIURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	// The callback URL leads nowhere: every notification is lost.
	eng := brokertest.NewEngine(t, "http://127.0.0.1:1/lost", getpaid.Backend{Name: "przelewy24", Broker: b})
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "przelewy24", Amount: getpaid.MustParseMoney("12.00", "PLN"),
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay(ctx, p.Redirect, "paid"); err != nil {
		t.Fatal(err)
	}
	sim.SetVerifyFailure(true)
	if _, err := eng.Poll(ctx, p.ID); err == nil {
		t.Fatal("poll applied a payment whose verify failed")
	}
	if q, _ := eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPrepared {
		t.Fatalf("status %s before verify succeeded", q.Status)
	}
	sim.SetVerifyFailure(false)
	q, err := eng.Poll(ctx, p.ID)
	if err != nil || q.Status != getpaid.StatusPaid || !sim.Verified(p.ID) {
		t.Fatalf("poll: %v, status %v, verified %v", err, q, sim.Verified(p.ID))
	}
}
