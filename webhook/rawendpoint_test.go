package webhook_test

import (
	"bufio"
	"net"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// rawEndpoint is an endpoint written on a bare TCP listener: each
// connection's request is read, then answer gets the connection to write
// anything (or nothing) before it is closed. It returns an Endpoint
// delivering there.
func rawEndpoint(t *testing.T, answer func(c net.Conn)) *webhook.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				answer(c)
			}()
		}
	}()
	ep, err := webhook.New(webhook.Config{URL: "http://" + ln.Addr().String() + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}
