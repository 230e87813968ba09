package przelewy24_test

import (
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
		sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
			RetryDelay: 5 * time.Millisecond, HangTimeout: 3 * time.Second})
		t.Cleanup(sim.Close)
		b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
			APIURL: sim.URL(), HTTPClient: &http.Client{Timeout: 500 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return &brokertest.Harness{
			Name: "przelewy24", Broker: b, Sim: sim, Amount: getpaid.MustParseMoney("123.45", "PLN"),
			PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, amount.Minor, amount.Currency)
			},
			DeclinedStatus: getpaid.StatusPrepared, // Przelewy24 sends no notification for a failed payment
		}
	})
}
