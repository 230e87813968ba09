package transferuj_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
	"github.com/getpaid-go/getpaid/memory"
)

// flow is getpaid serving one transferuj backend over HTTP.
type flow struct {
	eng   *engine.Engine
	store getpaid.Store
}

func newFlow(t *testing.T, b getpaid.Broker) *flow {
	t.Helper()
	mux := &lateMux{}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "transferuj", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	f := &flow{store: memory.New()}
	f.eng, err = engine.New(engine.Config{Store: f.store, Registry: reg, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.eng.Close() })
	h, err := httpapi.New(httpapi.Config{Service: f.eng})
	if err != nil {
		t.Fatal(err)
	}
	mux.h = h
	return f
}

type lateMux struct{ h *httpapi.Handler }

func (m *lateMux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.h.ServeHTTP(w, r) }

func (f *flow) pay(t *testing.T, order string, amount getpaid.Money) *getpaid.Payment {
	t.Helper()
	p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "transferuj", Amount: amount,
		Description: "Order " + order, Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "pl"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *flow) wait(t *testing.T, id string, want getpaid.Status) *getpaid.Payment {
	t.Helper()
	return brokertest.WaitStatus(t, f.store, id, want)
}

// md5Flow is a flow over a Transferuj account (merchant 1010, security
// code "demo") whose notifications are checked by md5sum alone, so a test
// can post them by hand.
func md5Flow(t *testing.T) *flow {
	t.Helper()
	b, err := transferuj.New(transferuj.Config{MerchantID: 1010, SecurityCode: "demo", JWSPrefix: "https://secure.tpay.com"})
	if err != nil {
		t.Fatal(err)
	}
	return newFlow(t, b)
}

// notify posts to the engine the basic notification of transaction trID
// of payment p (of 10.00 PLN) as md5Flow's account signs it, with
// tr_status, tr_paid and tr_error (which the md5sum does not cover) as
// given; a refusal fails the test.
func (f *flow) notify(t *testing.T, p *getpaid.Payment, trID, status, paid, trErr string) *getpaid.CallbackResult {
	t.Helper()
	v := url.Values{"id": {"1010"}, "tr_id": {trID}, "tr_date": {"2026-12-04 05:00:00"}, "tr_crc": {p.ID},
		"tr_amount": {"10.00"}, "tr_paid": {paid}, "tr_desc": {"Order"}, "tr_status": {status}, "tr_error": {trErr},
		"tr_email": {"jan@example.com"}, "md5sum": {tpaynotify.MD5("1010", trID, "10.00", p.ID, "demo")}}
	req := &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Query: url.Values{}, Body: []byte(v.Encode()), RemoteIP: "127.0.0.1"}
	res, err := f.eng.HandleCallback(context.Background(), "transferuj", req)
	if err != nil {
		t.Fatalf("%s %s %s %s: %v", trID, status, paid, trErr, err)
	}
	return res
}

// legacyTamperings are genuine notifications edited, their JWS kept: each
// must be refused, by the md5sum where it looks and by the JWS elsewhere
// (tr_status, tr_paid and tr_error, which the md5sum does not cover).
func legacyTamperings(t *testing.T, req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
	t.Helper()
	edit := func(f func(n *tpaynotify.Notification)) *getpaid.CallbackRequest {
		n, err := tpaynotify.ParseNotification(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		f(n)
		c := *req
		c.Header = req.Header.Clone()
		c.Body = n.Encode()
		return &c
	}
	return map[string]*getpaid.CallbackRequest{
		"signed with another security code": edit(func(n *tpaynotify.Notification) { n.Sign("not-the-code") }),
		"tr_amount raised":                  edit(func(n *tpaynotify.Notification) { n.TrAmount, n.TrPaid = "999.99", "999.99" }),
		"tr_crc swapped to another payment": edit(func(n *tpaynotify.Notification) { n.TrCRC = "pay_other" }),
		"tr_id swapped":                     edit(func(n *tpaynotify.Notification) { n.TrID = "TR-ZZZ-TST1X" }),
		"another merchant, re-signed":       edit(func(n *tpaynotify.Notification) { n.ID = "2020"; n.Sign("demo") }),
		"md5sum truncated":                  edit(func(n *tpaynotify.Notification) { n.MD5Sum = n.MD5Sum[:31] }),
		"tr_status made CHARGEBACK":         edit(func(n *tpaynotify.Notification) { n.TrStatus = tpaynotify.StatusChargeback }),
		"tr_paid lowered, surcharge":        edit(func(n *tpaynotify.Notification) { n.TrPaid, n.TrError = "1.00", tpaynotify.ErrorSurcharge }),
		"md5sum upper-cased and changed": edit(func(n *tpaynotify.Notification) {
			first := "f"
			if n.MD5Sum[0] == 'f' {
				first = "0"
			}
			n.MD5Sum = strings.ToUpper(first + n.MD5Sum[1:])
		}),
	}
}
