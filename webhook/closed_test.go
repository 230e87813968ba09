package webhook_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// An endpoint that reads the request and closes the connection without an
// answer (a crashing handler, a proxy dropping it) failed the attempt with
// "webhook: EOF", which an operator reading events show could not tell
// from anything. It says the endpoint closed the connection without
// answering; the error still unwraps to io.EOF.
func TestClosedWithoutAnswerSaysSo(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
			}()
		}
	}()
	ep, err := webhook.New(webhook.Config{URL: "http://" + ln.Addr().String() + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	status, err := ep.Deliver(context.Background(), sampleEvent())
	if err == nil || status != 0 {
		t.Fatalf("Deliver = %d, %v; want a failure", status, err)
	}
	if !strings.Contains(err.Error(), "closed the connection without answering") || !errors.Is(err, io.EOF) {
		t.Fatalf("Deliver: %v; want it to say the endpoint closed the connection, unwrapping to io.EOF", err)
	}
}
