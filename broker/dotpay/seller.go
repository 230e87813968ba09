package dotpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

const (
	maxPages = 10 // operations of one payment never fill more
)

// apiOperation is the part of a seller API operation getpaid reads.
type apiOperation struct {
	Number           string `json:"number"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	Amount           string `json:"amount"`
	Currency         string `json:"currency"`
	OriginalAmount   string `json:"original_amount"`
	OriginalCurrency string `json:"original_currency"`
	Control          string `json:"control"`
}

// money is what the shop asked for: the original amount and currency, else
// the operation's own.
func (op *apiOperation) money() (getpaid.Money, error) {
	amount, currency := op.OriginalAmount, op.OriginalCurrency
	if amount == "" && currency == "" {
		amount, currency = op.Amount, op.Currency
	}
	return ParseAmount(strings.TrimPrefix(amount, "-"), currency)
}

type operationPage struct {
	Next    *string         `json:"next"`
	Results json.RawMessage `json:"results"` // absent: not the seller API's answer
}

// hasAPI reports whether seller API credentials are configured.
func (b *Broker) hasAPI() bool { return b.cfg.APIUsername != "" }

// call sends one seller API request (HTTP Basic with the panel user) and
// decodes a 2xx JSON answer into out. Every failure is a *getpaid.BrokerError
// classified here, once (brokerhttp): network errors, timeouts, 408, 429 and
// 5xx are retryable; a POST that may have reached Dotpay and got no answer
// (a timeout, a dropped connection, a 5xx, an unreadable 2xx) is Happened
// too, a refusal (4xx, 429 included) or a connection never made is not.
// Other statuses carry Dotpay's error text.
func (b *Broker) call(ctx context.Context, op, method, target string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return &getpaid.BrokerError{Op: op, Err: err}
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return &getpaid.BrokerError{Op: op, Err: err}
	}
	req.SetBasicAuth(b.cfg.APIUsername, b.cfg.APIPassword)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	mutating := method != http.MethodGet
	code, raw, err := brokerhttp.Send(b.client, req, op, mutating)
	if err != nil {
		return err
	}
	if code < 200 || code > 299 {
		return brokerhttp.StatusError(op, code, mutating, errorText(raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		// Not the seller API's answer (a proxy's page, empty, cut): no word
		// either way, so retryable; a change may have been made.
		return &getpaid.BrokerError{Op: op, Status: code, Retryable: true, Happened: mutating,
			Err: fmt.Errorf("the answer is not the seller API's (%w): %q", err, brokerhttp.Snippet(raw))}
	}
	return nil
}

// errorText extracts the seller API's error: "detail", "error_code", or the
// field errors of a 400.
func errorText(raw []byte) string {
	var v map[string]any
	if json.Unmarshal(raw, &v) == nil {
		var parts []string
		for _, k := range []string{"error_code", "detail"} {
			if s, ok := v[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			for k, val := range v {
				parts = append(parts, fmt.Sprintf("%s: %v", k, val))
			}
		}
		if len(parts) > 0 {
			s := strings.Join(parts, ": ")
			if len(s) > 300 {
				s = s[:300]
			}
			return s
		}
	}
	return brokerhttp.Snippet(raw)
}

// payments lists the payment operations Dotpay holds for getpaid's payment
// (control = its id).
func (b *Broker) payments(ctx context.Context, p *getpaid.Payment) ([]apiOperation, error) {
	return b.operations(ctx, p.ID, TypePayment)
}

// operations lists the operations of type typ whose control is control,
// following the pages.
func (b *Broker) operations(ctx context.Context, control, typ string) ([]apiOperation, error) {
	const op = "dotpay: list operations"
	q := url.Values{"control": {control}, "page_size": {"100"}, "format": {"json"}}
	next := b.sellerURL + "operations/?" + q.Encode()
	var out []apiOperation
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("more than %d pages of operations for %s", maxPages, control)}
		}
		if !strings.HasPrefix(next, b.sellerURL) {
			return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("next page %q is not on the seller API", next)}
		}
		var pg operationPage
		if err := b.call(ctx, op, http.MethodGet, next, nil, &pg); err != nil {
			return nil, err
		}
		// Every page of the list carries its results, a list: one without
		// them (an empty object) or with null instead is not the seller
		// API's.
		var results []apiOperation
		if len(pg.Results) == 0 || json.Unmarshal(pg.Results, &results) != nil || results == nil {
			return nil, &getpaid.BrokerError{Op: op, Status: http.StatusOK, Retryable: true,
				Err: fmt.Errorf("the answer is not the seller API's (no results): %q", brokerhttp.Snippet(pg.Results))}
		}
		for _, o := range results {
			if o.Control == control && o.Type == typ {
				out = append(out, o)
			}
		}
		next = ""
		if pg.Next != nil {
			next = *pg.Next
		}
	}
	return out, nil
}

// rank orders payment statuses by how far the payment got.
func rank(status string) int {
	switch status {
	case StatusCompleted:
		return 4
	case StatusProcessing, StatusRealizationWaiting, StatusRealizationProgress:
		return 3
	case StatusNew:
		return 2
	case StatusRejected:
		return 1
	}
	return 0
}

// best is the payment operation that got furthest (a buyer may try again
// after a rejection), or nil.
func best(ops []apiOperation) *apiOperation {
	var b *apiOperation
	for i := range ops {
		if rank(ops[i].Status) > 0 && (b == nil || rank(ops[i].Status) > rank(b.Status)) {
			b = &ops[i]
		}
	}
	return b
}

// FetchStatus asks the seller API for the payment operations whose control
// is the payment's id and reports the one that got furthest, mapped like a
// URLC: completed -> captured (the original amount), processing* ->
// pending, rejected -> failed, new or none -> nothing new. Refunds are not
// reported: they are deltas that arrive, with their amounts, as URLCs.
// Without seller API credentials it reports nothing new.
func (b *Broker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	p := req.Payment
	o := &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindNone}
	if !b.hasAPI() {
		o.BrokerStatus = "not polled: no seller API credentials"
		return o, nil
	}
	ops, err := b.payments(ctx, p)
	if err != nil {
		return nil, err
	}
	op := best(ops)
	if op == nil {
		o.BrokerStatus = "no payment operation"
		return o, nil
	}
	m, err := op.money()
	if err != nil {
		return nil, &getpaid.BrokerError{Op: "dotpay: status", Err: fmt.Errorf("operation %s: %w", op.Number, err)}
	}
	o.Amount, o.EventID, o.BrokerStatus = m, "poll:"+op.Number+":"+op.Status, "payment "+op.Status
	switch op.Status {
	case StatusCompleted:
		o.Kind, o.Full, o.ExternalID = getpaid.KindCaptured, true, op.Number
	case StatusRejected:
		o.Kind = getpaid.KindFailed
	case StatusNew:
	default:
		o.Kind = getpaid.KindPending
	}
	return o, nil
}
