package transferuj_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/broker/transferuj/transferujtest"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// buyer acts as the buyer's browser for the suite: brokertest builds the
// request the auto-submitted form (or the link) makes, the simulator's page
// takes the choice.
type buyer struct{ *transferujtest.Server }

func (b buyer) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	req, err := brokertest.NewBuyerRequest(ctx, rd)
	if err != nil {
		return err
	}
	return b.Submit(ctx, req, outcome)
}

func harness(t *testing.T, variant, method string) *brokertest.Harness {
	sim := startSim(t, transferujtest.Config{MerchantID: 1010, SecurityCode: "demo", MD5Variant: variant,
		NotifyBackoff: 5 * time.Millisecond})
	b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", MD5Variant: variant, Method: method,
		APIURL: sim.URL(), JWSPrefix: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	// opened registers p's transaction at the panel, as the buyer's browser
	// does by carrying the form there, unless it already is.
	opened := func(p *getpaid.Payment) error {
		if _, _, ok := sim.Transaction(p.ID); ok {
			return nil
		}
		return sim.Pay(context.Background(), p.Redirect, "")
	}
	notification := func(p *getpaid.Payment, status string, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
		if err := opened(p); err != nil {
			return nil, err
		}
		return sim.Notification(p.ID, status, amount)
	}
	return &brokertest.Harness{
		Name: "transferuj", Broker: b, Sim: buyer{sim}, Amount: getpaid.MustParseMoney("123.45", "PLN"),
		// "Paid, reporting amount": the transaction paid in full. For
		// another amount that is a transaction of that amount (tr_amount,
		// which the md5sum covers), not an under- or overpayment of p's.
		PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
			if amount == p.Amount {
				return notification(p, tpaynotify.StatusTrue, amount)
			}
			if err := opened(p); err != nil {
				return nil, err
			}
			return sim.NotificationOf(p.ID, tpaynotify.StatusTrue, amount)
		},
		// The legacy form and notification name no currency: a notification
		// differing from a genuine one in its currency alone does not exist
		// (the md5sum does not cover a tr_currency, and Transferuj sends
		// none), so the suite checks the single account currency instead.
		NotificationHasNoCurrency: true,
		FailedNotification: func(p *getpaid.Payment) (*getpaid.CallbackRequest, error) {
			return notification(p, tpaynotify.StatusFalse, getpaid.Money{Currency: "PLN"})
		},
		// A declined bank transfer leaves the transaction open for another
		// try: Tpay notifies nothing.
		DeclinedStatus:  getpaid.StatusPrepared,
		PreparesOffline: true,
		PartialNotification: func(p *getpaid.Payment, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
			return notification(p, tpaynotify.StatusTrue, paid)
		},
		PanelRefund: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
			if err := sim.Chargeback(p.ID, amount); err != nil {
				return nil, err
			}
			return sim.Notification(p.ID, tpaynotify.StatusChargeback, amount)
		},
		Tamperings: func(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
			return legacyTamperings(t, req)
		},
		AckBody: []byte("TRUE"),
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	brokertest.Run(t, func(t *testing.T) *brokertest.Harness { return harness(t, "", transferuj.MethodPost) })
}

// The GET link and the plain md5 of django-getpaid 1.x reach a payment too.
func TestConformanceGetLinkPlainMD5(t *testing.T) {
	t.Parallel()
	h := harness(t, transferuj.VariantPlain, transferuj.MethodGet)
	e := newFlow(t, h.Broker)
	p := e.pay(t, "get-plain", h.Amount)
	if p.Redirect.Method != http.MethodGet {
		t.Fatalf("redirect %+v, want a GET link", p.Redirect)
	}
	if err := h.Sim.Pay(context.Background(), p.Redirect, transferujtest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	e.wait(t, p.ID, getpaid.StatusPaid)
}

// The panel refuses a form signed with the other md5 variant: md5_variant
// must match what the account expects.
func TestMD5VariantMismatchRefused(t *testing.T) {
	t.Parallel()
	sim := startSim(t, transferujtest.Config{MD5Variant: transferuj.VariantPlain})
	for variant, ok := range map[string]bool{transferuj.VariantJoined: false, transferuj.VariantPlain: true} {
		b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", MD5Variant: variant, APIURL: sim.URL(), JWSPrefix: sim.URL()})
		if err != nil {
			t.Fatal(err)
		}
		e := newFlow(t, b)
		p := e.pay(t, "variant-"+variant, getpaid.MustParseMoney("10.00", "PLN"))
		err = sim.Pay(context.Background(), p.Redirect, "")
		if (err == nil) != ok {
			t.Errorf("%s form at a plain account: %v", variant, err)
		}
	}
}

// A notification signed as Transferuj signed them, by its md5sum alone (a
// simulator without the JWS), marks a payment paid with the default
// settings, once however often it is repeated; with require_jws it is
// refused every time it comes, and the payment stays prepared.
func TestMD5OnlyNotificationFlow(t *testing.T) {
	t.Parallel()
	for _, require := range []bool{false, true} {
		sim := startSim(t, transferujtest.Config{NoJWS: true, NotifyBackoff: 5 * time.Millisecond, NotifyMaxBackoff: 10 * time.Millisecond, NotifyAttempts: 3})
		b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", APIURL: sim.URL(), JWSPrefix: sim.URL(), RequireJWS: require})
		if err != nil {
			t.Fatal(err)
		}
		e := newFlow(t, b)
		p := e.pay(t, fmt.Sprint("md5-only-", require), getpaid.MustParseMoney("10.00", "PLN"))
		if err := sim.Pay(context.Background(), p.Redirect, transferujtest.OutcomePaid); err != nil {
			t.Fatal(err)
		}
		if !require {
			paid := e.wait(t, p.ID, getpaid.StatusPaid)
			// Sent again (Tpay repeats a notification it saw no TRUE
			// for), it is acknowledged and counted once.
			again, err := sim.Notification(p.ID, tpaynotify.StatusTrue, p.Amount)
			if err != nil {
				t.Fatal(err)
			}
			if again.Header.Get(tpaynotify.SignatureHeader) != "" {
				t.Fatal("the simulator without the JWS signed a notification")
			}
			for range 2 {
				if res, err := e.eng.HandleCallback(context.Background(), "transferuj", again); err != nil || res.Outcome != getpaid.OutcomeDuplicate {
					t.Fatalf("the md5-only notification again: %+v, %v; want a duplicate", res, err)
				}
			}
			if q, _ := e.store.Payment(context.Background(), p.ID); q.Version != paid.Version || q.Captured != p.Amount.Minor {
				t.Fatalf("after repeats: version %d captured %d; want %d and %d", q.Version, q.Captured, paid.Version, p.Amount.Minor)
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = sim.Quiet(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.store.Payment(context.Background(), p.ID); err != nil || got.Status != getpaid.StatusPrepared {
			t.Fatalf("require_jws, a notification without the JWS: %v, %v; want it refused, the payment prepared", got.Status, err)
		}
	}
}
