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

// A chunked body that never comes, on a route whose body is optional (a
// money operation of the whole amount, an operation's check, a replay),
// is answered within Limits.BodyTimeout, as any API body is: the look for
// its first byte (is it empty?) waited with no deadline, holding the
// request for as long as the client kept the connection open (the check
// and the replays had refused such a body at once).
func TestStalledChunkedBodyMeetsTheBodyTimeout(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Limits: httpapi.Limits{BodyTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, path := range []string{
		"/api/v1/payments/pay_x/refund",
		"/api/v1/operations/op_x/check",
		"/api/v1/events/replay_dead?endpoint=https%3A%2F%2Fhooks.example%2Fx",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+apiKey+
			"\r\nIdempotency-Key: k1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Errorf("%s: no answer within 5 s to a stalled chunked body (%v): want one within the body timeout", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("%s: %d, want 408", path, resp.StatusCode)
		}
	}
}
