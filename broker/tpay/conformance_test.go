package tpay_test

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Minting RSA keys takes a while: every simulator of the tests shares one
// PKI, and the tampering cases one foreign PKI.
var (
	testPKI    = sync.OnceValues(tpaytest.NewPKI)
	foreignPKI = sync.OnceValues(tpaytest.NewPKI)
)

func pkis(t *testing.T) (own, foreign *tpaytest.PKI) {
	t.Helper()
	own, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	foreign, err = foreignPKI()
	if err != nil {
		t.Fatal(err)
	}
	return own, foreign
}

// startSim runs a simulator with the test PKI.
func startSim(t *testing.T, cfg tpaytest.Config) *tpaytest.Server {
	t.Helper()
	cfg.PKI, _ = pkis(t)
	if cfg.NotifyBackoff == 0 {
		cfg.NotifyBackoff = 5 * time.Millisecond
	}
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = 3 * time.Second
	}
	sim := tpaytest.Start(cfg)
	t.Cleanup(sim.Close)
	return sim
}

// newBroker configures a backend against sim, trusting its certificates.
func newBroker(t *testing.T, sim *tpaytest.Server, edit func(*tpay.Config)) *tpay.Broker {
	t.Helper()
	c := sim.Config()
	cfg := tpay.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, MerchantID: c.MerchantID, SecurityCode: c.SecurityCode,
		APIURL: sim.URL(), JWSPrefix: sim.URL(), Timeout: 700 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	b, err := tpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	t.Parallel()
	brokertest.Run(t, func(t *testing.T) *brokertest.Harness {
		sim := startSim(t, tpaytest.Config{})
		b := newBroker(t, sim, nil)
		return &brokertest.Harness{
			Name: "tpay", Broker: b, Sim: sim, Amount: getpaid.MustParseMoney("123.45", "PLN"),
			PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, tpaynotify.StatusTrue, amount)
			},
			FailedNotification: func(p *getpaid.Payment) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, tpaynotify.StatusFalse, getpaid.Money{Currency: "PLN"})
			},
			// A declined payment leaves the transaction pending for another
			// try: Tpay notifies nothing.
			DeclinedStatus: getpaid.StatusPrepared,
			PartialNotification: func(p *getpaid.Payment, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
				return sim.Notification(p.ID, tpaynotify.StatusTrue, paid)
			},
			PanelRefund: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
				if err := sim.Chargeback(p.ID, amount); err != nil {
					return nil, err
				}
				return sim.Notification(p.ID, tpaynotify.StatusChargeback, amount)
			},
			Tamperings: func(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
				return jwsTamperings(t, sim, req)
			},
			AckBody: []byte("TRUE"),
		}
	})
}

// jwsTamperings are notifications whose md5sum is intact but whose JWS is
// not Tpay's: each must be refused.
func jwsTamperings(t *testing.T, sim *tpaytest.Server, req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
	t.Helper()
	_, foreign := pkis(t)
	sim.ServeCert("/x509/foreign.pem", foreign.Cert)
	must := func(r *getpaid.CallbackRequest, err error) *getpaid.CallbackRequest {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withHeader := func(v string) *getpaid.CallbackRequest {
		c := *req
		c.Header = req.Header.Clone()
		if v == "" {
			c.Header.Del(tpay.SignatureHeader)
		} else {
			c.Header.Set(tpay.SignatureHeader, v)
		}
		return &c
	}
	jws := req.Header.Get(tpay.SignatureHeader)
	protected, sig, _ := strings.Cut(jws, "..")
	// Another genuine notification of the same transaction: its JWS over
	// its own body, attached to this body.
	n, err := tpaynotify.ParseNotification(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	other := must(sim.Notification(n.TrCRC, tpaynotify.StatusChargeback, getpaid.MustParseMoney("1.00", "PLN")))
	enc := base64.RawURLEncoding
	return map[string]*getpaid.CallbackRequest{
		"JWS from an untrusted x5u":                  must(sim.SignWith(req, foreign.Key, "https://attacker.example/x509/notifications-jws.pem")),
		"x5u on a look-alike host":                   must(sim.SignWith(req, foreign.Key, sim.URL()+"0/x509/notifications-jws.pem")),
		"certificate not chaining to the root":       must(sim.SignWith(req, foreign.Key, sim.URL()+"/x509/foreign.pem")),
		"Tpay's certificate, another key":            must(sim.SignWith(req, foreign.Key, sim.URL()+tpaytest.CertPath)),
		"JWS of another notification (swapped body)": withHeader(other.Header.Get(tpay.SignatureHeader)),
		"no JWS":                            withHeader(""),
		"truncated JWS":                     withHeader(jws[:len(jws)-10]),
		"signature cut off":                 withHeader(protected + ".."),
		"alg none":                          withHeader(enc.EncodeToString([]byte(`{"alg":"none","x5u":"`+sim.URL()+tpaytest.CertPath+`"}`)) + ".." + sig),
		"payload attached, of another body": withHeader(protected + "." + enc.EncodeToString([]byte("id=1")) + "." + sig),
		"not a JWS":                         withHeader("garbage"),
	}
}
