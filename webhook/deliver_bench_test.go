package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// BenchmarkDeliver is one delivery to an endpoint on this machine that
// answers 204, as the bench's receiver does: the sender's cost per event.
// The endpoint is a bare HTTP/1.1 responder that allocates next to nothing,
// so allocs/op are the sender's. It reports the connections the endpoint
// accepted, which must stay at one (keep-alive).
func BenchmarkDeliver(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go answer204(c)
		}
	}()
	ep, err := webhook.New(webhook.Config{URL: "http://" + ln.Addr().String() + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		b.Fatal(err)
	}
	ev := sampleEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if status, err := ep.Deliver(ctx, ev); err != nil || status != http.StatusNoContent {
			b.Fatalf("%d, %v", status, err)
		}
	}
	b.ReportMetric(float64(conns.Load()), "conns")
}

// answer204 reads requests from c and answers each 204 No Content.
func answer204(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 8<<10)
	cl := []byte("content-length:")
	for {
		n := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
			if len(line) > len(cl) && bytes.EqualFold(line[:len(cl)], cl) {
				n, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(cl):])))
			}
		}
		if _, err := br.Discard(n); err != nil {
			return
		}
		if _, err := c.Write([]byte("HTTP/1.1 204 No Content\r\n\r\n")); err != nil {
			return
		}
	}
}
