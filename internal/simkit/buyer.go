package simkit

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/internal/ui"
)

// Buyer is a simulated broker's payment page: the page a buyer chooses an
// outcome on, and the notices around it.
type Buyer struct {
	Broker string             // the broker's name on the pages: "Tpay"
	Page   *template.Template // the payment page, executed with the simulator's view
	// Unknown and UnknownText are the heading and text of the page of a
	// transaction the simulator does not hold.
	Unknown, UnknownText string
}

// Show answers a request for the payment page: the page of view, or the
// notice of an unknown transaction when found is false.
func (b Buyer) Show(w http.ResponseWriter, view any, found bool) {
	if !found {
		ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: b.Broker, Tag: "simulator", Tone: "bad", Heading: b.Unknown, Text: b.UnknownText})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = b.Page.Execute(w, view)
}

// Chosen answers the buyer's choice on the page: one the simulator refused
// (err) is a 400 notice; a buyer who left the page (left), or has nowhere to
// go back to, sees a notice linking back to the shop (link, called only
// then); any other goes back to the shop at back (303).
func (b Buyer) Chosen(w http.ResponseWriter, r *http.Request, back string, err error, left bool, link func() string) {
	if err != nil {
		ui.WriteNotice(w, http.StatusBadRequest, ui.Notice{Title: b.Broker, Tag: "simulator", Tone: "warn", Heading: "Not possible", Text: err.Error()})
		return
	}
	if left || back == "" {
		ui.WriteNotice(w, http.StatusOK, ui.Notice{Title: b.Broker, Tag: "simulator", Tone: "info", Heading: "You left the payment page",
			Text: "A real buyer would have closed the tab: " + b.Broker + " tells the shop nothing.", Link: link()})
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// BuyerClient is the buyer's browser for a simulator's Pay: it stops at
// every redirect, so each step's answer can be checked. It has a transport
// of its own, keeping no connection between requests: on the shared
// http.DefaultTransport, any httptest.Server closing meanwhile (another
// test's) closes its idle connections, and a request just being written
// on one failed with "http: CloseIdleConnections called".
func BuyerClient() *http.Client {
	t := brokerhttp.NewTransport()
	t.DisableKeepAlives = true
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// BuyerRequest is the request a buyer sent on by rd makes: an
// auto-submitted POST form, else a GET of the link.
func BuyerRequest(ctx context.Context, rd *getpaid.Redirect) (*http.Request, error) {
	if rd.Method != http.MethodPost {
		return http.NewRequestWithContext(ctx, http.MethodGet, rd.URL, nil)
	}
	form := url.Values{}
	for k, v := range rd.Fields {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rd.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// Open opens the payment page at page as the buyer; anything but 200 is an
// error prefixed with name ("tpaytest").
func Open(ctx context.Context, client *http.Client, page, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: payment page answered %s", name, resp.Status)
	}
	return nil
}

// Choose posts the buyer's outcome to the payment page at page; an answer
// of 400 or more is an error prefixed with name.
func Choose(ctx context.Context, client *http.Client, page, outcome, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, page, strings.NewReader(url.Values{"outcome": {outcome}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s: choosing %q answered %s", name, outcome, resp.Status)
	}
	return nil
}
