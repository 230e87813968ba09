package payu_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/brokertest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	brokertest.Run(t, func(t *testing.T) *brokertest.Harness {
		sim := payutest.Start(payutest.Config{NotifyBackoff: 5 * time.Millisecond, AutoSettleRefunds: 20 * time.Millisecond})
		t.Cleanup(sim.Close)
		cfg := sim.Config()
		b, err := payu.New(payu.Config{PosID: cfg.PosID, SecondKey: cfg.SecondKey, ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, APIURL: sim.URL(), HTTPClient: &http.Client{Timeout: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return &brokertest.Harness{
			Name: "payu", Broker: b, Sim: sim, Amount: getpaid.MustParseMoney("150.00", "PLN"),
			PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ExternalID, payu.StatusCompleted, strconv.FormatInt(amount.Minor, 10), amount.Currency)
			},
			FailedNotification: func(p *getpaid.Payment) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ExternalID, payu.StatusCanceled, "", "")
			},
			DeclinedStatus: getpaid.StatusFailed,
			PreAuthOutcome: payutest.OutcomePreAuth,
			ResignOtherKey: func(req *getpaid.CallbackRequest) (*getpaid.CallbackRequest, error) {
				other := payutest.New(payutest.Config{SecondKey: "0123456789abcdef0123456789abcdef"})
				defer other.Close()
				r := *req
				r.Header = other.SignedHeader(req.Body)
				return &r, nil
			},
		}
	})
}
