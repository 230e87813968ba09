package tpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

const (
	tokenPath = "/oauth/auth"
	// refreshMargin is how long before its expiry a token is replaced.
	refreshMargin = 5 * time.Minute
)

// fetchToken asks POST /oauth/auth (form-encoded client_id, client_secret,
// and scope "read", as Tpay's official SDK sends it) for a Bearer token; Tpay answers expires_in 7200. The token is used until
// refreshMargin (at most a tenth of its life) before it expires.
func (b *Broker) fetchToken(ctx context.Context) (string, time.Duration, error) {
	const op = "tpay: oauth"
	form := url.Values{"client_id": {b.cfg.ClientID}, "client_secret": {b.cfg.ClientSecret}, "scope": {"read"}}
	code, body, err := brokerhttp.PostForm(ctx, b.client, b.base+tokenPath, form, op, false)
	if err != nil {
		return "", 0, err
	}
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if code != http.StatusOK {
		return "", 0, brokerhttp.StatusError(op, code, false, errorText(body))
	}
	if err := json.Unmarshal(body, &v); err != nil || v.AccessToken == "" {
		// Not OAuth's answer (a proxy's 200 page, empty, cut, {}): asked
		// again, Tpay may answer. The body is not quoted when it names a
		// token (one cut short, or with a field of another type).
		why := "no access_token"
		if err != nil {
			why = err.Error()
		}
		return "", 0, &getpaid.BrokerError{Op: op, Status: code, Retryable: true,
			Err: fmt.Errorf("the answer is not Tpay's (%s): %s", why, brokerhttp.TokenSnippet(body))}
	}
	if v.TokenType != "" && !strings.EqualFold(v.TokenType, "bearer") {
		return "", 0, &getpaid.BrokerError{Op: op, Status: code, Err: fmt.Errorf("the access_token is of type %q, not Bearer", v.TokenType)}
	}
	ttl := brokerhttp.TokenLife(v.ExpiresIn)
	if ttl <= 0 {
		ttl = time.Minute // use it briefly, then ask again
	}
	return v.AccessToken, ttl - min(refreshMargin, ttl/10), nil
}

// call sends an authorised JSON request and decodes a 2xx answer into out.
// A 401 is retried once with a fresh token. Every failure is a
// *getpaid.BrokerError classified here, once: network errors, timeouts, 408,
// 429 and 5xx are retryable; a change (POST) that may have reached Tpay and
// got no usable answer (a timeout, a dropped connection, a 5xx, an
// unreadable 2xx) is Happened too, a refusal (4xx, 429 included) or a
// connection never made is not. Other statuses carry Tpay's error text.
func (b *Broker) call(ctx context.Context, op, method, path string, in, out any) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return &getpaid.BrokerError{Op: op, Err: err}
		}
	}
	mutating := method != http.MethodGet
	for attempt := 0; ; attempt++ {
		tok, err := b.tokens.Token(ctx)
		if err != nil {
			return err
		}
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
		if err != nil {
			return &getpaid.BrokerError{Op: op, Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		code, body, err := brokerhttp.Send(b.client, req, op, mutating)
		if err != nil {
			return err
		}
		if code == http.StatusUnauthorized && attempt == 0 {
			b.tokens.Invalidate(tok)
			continue
		}
		if code < 200 || code > 299 {
			return brokerhttp.StatusError(op, code, mutating, errorText(body))
		}
		var res struct {
			Result string `json:"result"`
		}
		if err := json.Unmarshal(body, &res); err != nil || res.Result == "" {
			// Every Tpay answer carries its result; a 2xx without one (a
			// proxy's 200 page, empty, cut, {}) is no word either way: a
			// change may have been made (in doubt, for the lookup to
			// settle), a read may be asked again.
			return notTpays(op, code, mutating, body)
		}
		if res.Result != "" && res.Result != "success" {
			return &getpaid.BrokerError{Op: op, Status: code, Err: errors.New(errorText(body))}
		}
		if out == nil {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return notTpays(op, code, mutating, body)
		}
		return nil
	}
}

// notTpays is a 2xx answer that is not Tpay's: retryable, and Happened for
// a change, whose outcome it does not tell.
func notTpays(op string, code int, mutating bool, body []byte) *getpaid.BrokerError {
	what := "so it may be asked again"
	if mutating {
		what = "so whether Tpay acted is unknown"
	}
	return &getpaid.BrokerError{Op: op, Status: code, Retryable: true, Happened: mutating,
		Err: fmt.Errorf("the answer is not Tpay's (no result), %s: %q", what, brokerhttp.Snippet(body))}
}

// errorText extracts Tpay's error message: {"result":"failed","errors":
// [{"errorCode":..,"errorMessage":..,"fieldName":..}]}, or an OAuth
// {"error":..,"error_description":..}.
func errorText(raw []byte) string {
	var v struct {
		Errors []struct {
			Code    string `json:"errorCode"`
			Message string `json:"errorMessage"`
			Field   string `json:"fieldName"`
		} `json:"errors"`
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(raw, &v) == nil {
		var msgs []string
		for _, e := range v.Errors {
			m := strings.TrimSpace(e.Code + " " + e.Message)
			if e.Field != "" {
				m += " (" + e.Field + ")"
			}
			msgs = append(msgs, m)
		}
		if len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
		if v.Error != "" {
			return strings.TrimSpace(v.Error + " " + v.Desc)
		}
	}
	return brokerhttp.Snippet(raw)
}
