package przelewy24

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// call sends one API request and decodes a 2xx JSON answer into out. Every
// failure comes back as a *getpaid.BrokerError classified here, once
// (brokerhttp): network errors, timeouts, 408, 429 and 5xx are retryable;
// other statuses are not
// and carry Przelewy24's error text. For a mutating request (anything but
// GET), a failure after the connection was made (a timeout, a dropped
// connection, a 5xx) is Happened: Przelewy24 may have acted; a refusal (4xx,
// 429) or a connection never made is not.
func (b *Broker) call(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return &getpaid.BrokerError{Op: op, Err: err}
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+"/api/v1"+path, body)
	if err != nil {
		return &getpaid.BrokerError{Op: op, Err: err}
	}
	req.SetBasicAuth(strconv.Itoa(b.cfg.PosID), b.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	mutating := method != http.MethodGet
	code, raw, err := brokerhttp.Send(b.client, req, op, mutating)
	if err != nil {
		return err // the request may have reached Przelewy24, unless the connection was never made
	}
	if code < 200 || code > 299 {
		if !p24Error(raw) {
			// A proxy's or gateway's page: its 404 is not Przelewy24's
			// "not found".
			return brokerhttp.ForeignStatusError(op, code, mutating, errorText(raw))
		}
		return brokerhttp.StatusError(op, code, mutating, errorText(raw))
	}
	if out == nil {
		return nil
	}
	// Every answer of Przelewy24's REST API carries "data" (its OpenAPI
	// document: register {"data":{"token"}}, verify {"data":{"status"}},
	// by/sessionId and refund/by/orderId {"data":{...}}, refund
	// {"data":[...]}). A 2xx without it (a proxy's 200 page, empty, cut,
	// {}) is no word either way: a change may have been made (in doubt,
	// for the lookup to settle), a read may be asked again.
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return notP24s(op, code, mutating, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return notP24s(op, code, mutating, raw)
	}
	return nil
}

// notP24s is a 2xx answer that is not Przelewy24's: retryable, and Happened
// for a change, whose outcome it does not tell.
func notP24s(op string, code int, mutating bool, raw []byte) *getpaid.BrokerError {
	what := "so it may be asked again"
	if mutating {
		what = "so whether Przelewy24 acted is unknown"
	}
	return &getpaid.BrokerError{Op: op, Status: code, Retryable: true, Happened: mutating,
		Err: fmt.Errorf("the answer is not Przelewy24's (no data), %s: %q", what, brokerhttp.Snippet(raw))}
}

// p24Error reports whether an error answer is Przelewy24's: a JSON object
// with its "error" (a message, or for refunds a list of results).
func p24Error(raw []byte) bool {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(raw, &v) == nil && len(v.Error) > 0 && string(v.Error) != "null"
}

// errorText extracts Przelewy24's error message: "error" is a string, or for
// refunds a list of per-item results with "message".
func errorText(raw []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &v) == nil && len(v.Error) > 0 {
		var s string
		if json.Unmarshal(v.Error, &s) == nil && s != "" {
			return s
		}
		var items []struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &items) == nil {
			var msgs []string
			for _, it := range items {
				if it.Message != "" {
					msgs = append(msgs, it.Message)
				}
			}
			if len(msgs) > 0 {
				return strings.Join(msgs, "; ")
			}
		}
	}
	return brokerhttp.Snippet(raw)
}
