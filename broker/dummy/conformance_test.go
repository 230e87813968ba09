package dummy_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/internal/simkit"
)

const conformanceSecret = "conformance-secret"

// paywallBuyer is the suite's Simulator for the dummy: the dummy is its own
// broker, so the buyer acts on the dummy's paywall (served by getpaid under
// /broker/dummy/) as a browser would, and the dummy's callback sends are
// what Quiet waits for.
type paywallBuyer struct {
	b      *dummy.Broker
	method string // how the dummy sends the buyer to the paywall
}

var (
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
)

// Pay opens the paywall the redirect sends the buyer to and, unless the
// buyer abandons it there, submits the paywall's form with the button of
// the outcome: "paid" (Pay in full), "declined" (Decline: failed) or
// dummy.StatusPreAuth (Pre-authorise).
func (s paywallBuyer) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.Method != s.method {
		return fmt.Errorf("redirect %+v, want the buyer sent by %s", rd, s.method)
	}
	client := simkit.BuyerClient()
	req, err := brokertest.NewBuyerRequest(ctx, rd)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("paywall answered %s: %s", resp.Status, page)
	}
	var button string
	switch outcome {
	case "abandoned":
		return nil // the buyer leaves the paywall without choosing
	case "paid":
		button = dummy.StatusPaid
	case "declined":
		button = dummy.StatusFailed
	case dummy.StatusPreAuth, dummy.StatusPartiallyPaid:
		button = outcome
	default:
		return fmt.Errorf("paywall: no outcome %q", outcome)
	}
	if !strings.Contains(string(page), `name="outcome" value="`+button+`"`) {
		return fmt.Errorf("paywall offers no %q button", button)
	}
	action := formAction.FindSubmatch(page)
	if action == nil {
		return fmt.Errorf("paywall has no form: %s", page)
	}
	target, err := req.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		return err
	}
	form := url.Values{"outcome": {button}}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	choose, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	choose.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(choose)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("paywall: choosing %q answered %s", button, resp.Status)
	}
	return nil
}

// Quiet waits until every callback the paywall started sending was
// acknowledged or given up (dummy.Broker.Wait).
func (s paywallBuyer) Quiet(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.b.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetFailure does nothing: the dummy has no API that can be down
// (Harness.InProcess skips the broker-down cases).
func (s paywallBuyer) SetFailure(string) {}

// SetOperationFault maps to the dummy's own fault switch for money
// operations (Config.Fault), whose modes are the suite's.
func (s paywallBuyer) SetOperationFault(mode string) {
	if err := s.b.SetFault(mode); err != nil {
		panic(err)
	}
}

var _ brokertest.OperationFaulter = paywallBuyer{}

// signed is the dummy callback c signed with secret, as the paywall sends it.
func signed(secret string, c dummy.Callback) *getpaid.CallbackRequest {
	body, sig := dummy.EncodeCallback(secret, c)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(dummy.SignatureHeader, sig)
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: body}
}

func callback(p *getpaid.Payment, status string, amount getpaid.Money) *getpaid.CallbackRequest {
	return signed(conformanceSecret, dummy.Callback{PaymentID: p.ID, EventID: fmt.Sprintf("evt-%s-%s-%s-%s", p.ID, status, amount.Decimal(), amount.Currency),
		Status: status, Amount: amount.Decimal(), Currency: amount.Currency})
}

func dummyHarness(t *testing.T, method string) *brokertest.Harness {
	b, err := dummy.New(dummy.Config{Secret: conformanceSecret, Method: method, HTTPClient: &http.Client{Timeout: time.Second},
		RetryDelays: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return &brokertest.Harness{
		Name: "dummy", Broker: b, Sim: paywallBuyer{b, method}, Amount: getpaid.MustParseMoney("123.45", "PLN"),
		PaidNotification: func(p *getpaid.Payment, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
			return callback(p, dummy.StatusPaid, amount), nil
		},
		FailedNotification: func(p *getpaid.Payment) (*getpaid.CallbackRequest, error) {
			return callback(p, dummy.StatusFailed, p.Amount), nil
		},
		DeclinedStatus:  getpaid.StatusFailed,
		PreparesOffline: true, // Prepare signs the paywall's fields; nothing is registered
		PreAuthOutcome:  dummy.StatusPreAuth,
		// Capture: "part or all of the hold; the rest stays held".
		CaptureKeepsRest: true,
		// The paywall is served by getpaid and FetchStatus reads the
		// dummy's memory: there is no API to take down.
		InProcess: true,
		PartialNotification: func(p *getpaid.Payment, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
			return callback(p, dummy.StatusPartiallyPaid, paid), nil
		},
		ResignOtherKey: func(req *getpaid.CallbackRequest) (*getpaid.CallbackRequest, error) {
			r := *req
			r.Header = req.Header.Clone()
			r.Header.Set(dummy.SignatureHeader, dummy.Sign("another-secret", req.Body))
			return &r, nil
		},
		Tamperings: func(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
			with := func(sig string) *getpaid.CallbackRequest {
				r := *req
				r.Header = req.Header.Clone()
				if sig == "" {
					r.Header.Del(dummy.SignatureHeader)
				} else {
					r.Header.Set(dummy.SignatureHeader, sig)
				}
				return &r
			}
			valid := req.Header.Get(dummy.SignatureHeader)
			return map[string]*getpaid.CallbackRequest{
				"no signature":              with(""),
				"signature not hex":         with(strings.Repeat("z", 64)),
				"signature cut short":       with(valid[:62]),
				"signature twice as long":   with(valid + valid),
				"signed with an empty key":  with(dummy.Sign("", req.Body)),
				"signature of a failed one": with(dummy.Sign(conformanceSecret, []byte(strings.Replace(string(req.Body), `"paid"`, `"failed"`, 1)))),
			}
		},
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	// The buyer is sent to the paywall by a GET link (the default) or an
	// auto-submitted POST form (method: POST).
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			brokertest.Run(t, func(t *testing.T) *brokertest.Harness { return dummyHarness(t, method) })
		})
	}
}
