package payu

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
	tokenPath     = "/pl/standard/user/oauth/authorize"
	ordersPath    = "/api/v2_1/orders"
	refreshMargin = 60 * time.Second
)

// fetchToken asks for a client_credentials token, used until refreshMargin
// before it expires.
func (b *Broker) fetchToken(ctx context.Context) (string, time.Duration, error) {
	const op = "payu: oauth"
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {b.cfg.ClientID},
		"client_secret": {b.cfg.ClientSecret},
	}
	code, body, err := brokerhttp.PostForm(ctx, b.client, b.base+tokenPath, form, op, false)
	if err != nil {
		return "", 0, err
	}
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Desc        string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &v)
	if code != http.StatusOK {
		text := strings.TrimSpace(v.Error + " " + v.Desc) // RFC 6749 5.2
		if text == "" {
			text = brokerhttp.Snippet(body) // not OAuth's JSON: a proxy's error page
		}
		return "", 0, brokerhttp.StatusError(op, code, false, text)
	}
	if v.AccessToken == "" {
		// Not OAuth's answer (a proxy's 200 page, empty, cut, {}): asked
		// again, PayU may answer. The body is not quoted when it names a
		// token (one cut short after it).
		return "", 0, &getpaid.BrokerError{Op: op, Status: code, Retryable: true,
			Err: fmt.Errorf("the answer is not PayU's (no access_token): %s", brokerhttp.TokenSnippet(body))}
	}
	if !strings.EqualFold(v.TokenType, "bearer") {
		return "", 0, &getpaid.BrokerError{Op: op, Status: code, Err: errors.New("no bearer access_token in response")}
	}
	ttl := brokerhttp.TokenLife(v.ExpiresIn)
	if ttl <= refreshMargin {
		ttl = refreshMargin + time.Second // use it once, then fetch again
	}
	return v.AccessToken, ttl - refreshMargin, nil
}

// payuStatus is PayU's "status" object.
type payuStatus struct {
	StatusCode  string `json:"statusCode"`
	Code        string `json:"code"`
	CodeLiteral string `json:"codeLiteral"`
	StatusDesc  string `json:"statusDesc"`
}

func (s payuStatus) String() string {
	out := s.StatusCode
	if s.CodeLiteral != "" {
		out += " " + s.CodeLiteral
	}
	if s.StatusDesc != "" {
		out += ": " + s.StatusDesc
	}
	if out == "" {
		out = "no status in response"
	}
	return out
}

// call sends an authorised JSON API request and returns the 2xx/302 body.
// It retries once with a fresh token on 401. Errors are *getpaid.BrokerError,
// classified here once: for a mutating request (anything but GET) a
// transport failure after the connection was made, a timeout and a 5xx are
// Retryable and Happened (PayU may have acted); a refusal (4xx, or 2xx with
// an ERROR_* or BUSINESS_ERROR status) did nothing; 408 and 429 are
// retryable refusals.
func (b *Broker) call(ctx context.Context, op, method, path string, in any) ([]byte, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, &getpaid.BrokerError{Op: op, Err: err}
		}
	}
	mutating := method != http.MethodGet
	for attempt := 0; ; attempt++ {
		tok, err := b.tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
		if err != nil {
			return nil, &getpaid.BrokerError{Op: op, Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		// Every call, GET included: PayU's reference marks the header
		// required and its SDK (OpenPayU_HttpCurl) always sends it.
		req.Header.Set("Content-Type", "application/json")
		code, body, err := brokerhttp.Send(b.client, req, op, mutating)
		if err != nil {
			return nil, err
		}
		if code == http.StatusUnauthorized && attempt == 0 {
			b.tokens.Invalidate(tok)
			continue
		}
		var st struct {
			Status payuStatus `json:"status"`
		}
		_ = json.Unmarshal(body, &st)
		if code >= 200 && code < 300 || code == http.StatusFound {
			if strings.HasPrefix(st.Status.StatusCode, "ERROR") || st.Status.StatusCode == "BUSINESS_ERROR" {
				return nil, &getpaid.BrokerError{Op: op, Status: code, Err: errors.New(st.Status.String())}
			}
			return body, nil
		}
		if st.Status == (payuStatus{}) {
			// Not PayU's JSON: a proxy's error page. Marked, so that a 404
			// of it is not read as PayU's "no such order" (brokerhttp.NotFound).
			return nil, brokerhttp.ForeignStatusError(op, code, mutating, brokerhttp.Snippet(body))
		}
		return nil, brokerhttp.StatusError(op, code, mutating, st.Status.String())
	}
}
