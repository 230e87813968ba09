package webhook_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// A delivery written on a kept-alive connection that the endpoint's server
// read and then closed without answering (its worker died) is sent again by
// Go's transport over a new connection (the delivery is idempotent); when
// that connection cannot be opened because getpaid is out of file
// descriptors, the attempt failed with "too many open files" and was taken
// for getpaid's own failure, "not sent": not counted against the endpoint's
// schedule, retried within seconds, with the endpoint's failure hidden. The
// endpoint got the delivery: such an attempt is the endpoint's.
func TestLocalFailureAfterTheEndpointGotTheDelivery(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int32
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
					got.Add(1)
					if n > 0 {
						return // read, then dropped: no answer
					}
					if _, err := io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n"); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	var dials atomic.Int32
	tr := webhook.NewTransport()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", syscall.EMFILE)}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	ep, err := webhook.New(webhook.Config{URL: "http://" + ln.Addr().String() + "/hook", Secrets: []string{webhook.NewSecret()},
		Client: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	if status, err := ep.Deliver(context.Background(), sampleEvent()); err != nil || status != http.StatusNoContent {
		t.Fatalf("first delivery: %d, %v", status, err)
	}
	_, err = ep.Deliver(context.Background(), sampleEvent())
	if err == nil || got.Load() != 2 {
		t.Fatalf("second delivery: %v, the endpoint read %d requests; want an error after it read 2", err, got.Load())
	}
	var l interface{ Local() bool }
	if errors.As(err, &l) && l.Local() {
		t.Fatalf("the endpoint read the delivery and closed the connection without answering; the attempt was taken for getpaid's own: %v", err)
	}
}
