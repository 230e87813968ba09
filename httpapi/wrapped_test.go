package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/httpapi"
)

// accessLog is the middleware a shop writes around the handler in library
// mode: its writer records the status and has no Unwrap method, so
// http.ResponseController cannot reach the connection through it.
type accessLog struct {
	http.ResponseWriter
	status int
}

func (a *accessLog) WriteHeader(code int) { a.status = code; a.ResponseWriter.WriteHeader(code) }

// Mounted behind a shop's middleware whose writer does not reach the
// connection (an access log without Unwrap, http.TimeoutHandler), a body
// that stalls is still answered 408 within Limits.BodyTimeout. Before, the
// read deadline could not be set through such a writer and the read waited
// with none: a callback or form whose body never came held its request,
// its read slot and its share of the body budget for as long as the
// sender kept the connection open, answered nothing.
func TestStalledBodyBehindAWrappingMiddleware(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/payments")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Limits: httpapi.Limits{BodyTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&accessLog{ResponseWriter: w}, r)
	})))
	mux.Handle("/timeout/", http.StripPrefix("/timeout", http.TimeoutHandler(h, time.Minute, "too slow")))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ name, request string }{
		{"a callback", "POST /log/callback/dummy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pay"},
		{"a broker's page form", "POST /log/broker/dummy/choose HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na="},
		{"an API body", "POST /log/api/v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiKey +
			"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"order"},
		{"an optional chunked body", "POST /log/api/v1/payments/pay_x/refund HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiKey +
			"\r\nIdempotency-Key: k1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"a callback under http.TimeoutHandler", "POST /timeout/callback/dummy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pay"},
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, tc.request)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Errorf("%s: no answer within 5 s to a stalled body (%v): want 408 within the body timeout", tc.name, err)
			continue
		}
		resp.Body.Close()
		c.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("%s: %d, want 408", tc.name, resp.StatusCode)
		}
	}
}

// Behind such a middleware, on a server with a ReadTimeout, a body that
// stalls is bounded by that ReadTimeout, and the connection closed: the
// read abandoned after BodyTimeout was cut by net/http as the handler
// returned, which lifted the connection's deadline, and the server then
// waited for the rest of the body with none, holding the connection (and
// a goroutine) for as long as the sender kept it open.
func TestStalledBodyBehindAWrappingMiddlewareMeetsReadTimeout(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/payments")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Limits: httpapi.Limits{BodyTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&accessLog{ResponseWriter: w}, r)
	}))
	srv.Config.ReadTimeout = time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ name, request string }{
		{"a callback", "POST /callback/dummy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pay"},
		{"a broker's page form", "POST /broker/dummy/choose HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na="},
		{"an optional chunked body", "POST /api/v1/payments/pay_x/refund HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiKey +
			"\r\nIdempotency-Key: k1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"},
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(c, tc.request)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			c.Close()
			t.Errorf("%s: no answer within 10 s to a stalled body (%v): want 408", tc.name, err)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("%s: %d, want 408", tc.name, resp.StatusCode)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s: after the 408 the connection was not closed within 10 s (%v): want it closed by the server's ReadTimeout (1 s)", tc.name, err)
		}
		c.Close()
	}
}
