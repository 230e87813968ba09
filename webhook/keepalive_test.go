package webhook_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// An endpoint's server closes a kept-alive connection once it has been idle
// for its keep-alive timeout (a few seconds in the defaults of several
// servers, Node.js's and Gunicorn's among them): a
// delivery written on it at that moment is read by nobody, and the
// connection ends without an answer. The endpoint got nothing, and a fresh
// connection would have carried it: the attempt must not fail ("EOF",
// "connection reset by peer") and wait for its retry. This endpoint answers
// the first request of every connection and drops the connection on the
// second, as such a server does at the worst moment, deterministically.
func TestEndpointSurvivesAConnectionClosedWhileIdle(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var answered, dropped, extra atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, sent := req.Header["Idempotency-Key"]; sent {
						extra.Add(1) // the request is what the README shows, no header more
					}
					if n > 0 {
						dropped.Add(1)
						return // closed as the idle timer fired: no answer
					}
					answered.Add(1)
					if _, err := io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n"); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	ep, err := webhook.New(webhook.Config{URL: "http://" + ln.Addr().String() + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if status, err := ep.Deliver(context.Background(), sampleEvent()); err != nil || status != http.StatusNoContent {
			t.Errorf("delivery %d on a kept-alive connection the endpoint closed: %d, %v; want 204 over a new connection", i+1, status, err)
		}
	}
	if extra.Load() > 0 {
		t.Errorf("%d requests carried an Idempotency-Key header", extra.Load())
	}
	if answered.Load() != 5 || dropped.Load() != 4 {
		t.Errorf("the endpoint answered %d requests and dropped %d; want 5 and 4 (each delivery after the first is written on a connection that was kept alive)", answered.Load(), dropped.Load())
	}
}
