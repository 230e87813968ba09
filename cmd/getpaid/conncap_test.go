package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeCapsConnections: a server holds at most limits.connections open
// (each idle one costs memory, bounded before only by the file descriptor
// limit); one beyond is answered 503 with Retry-After at once, and a place
// given back is taken again. (The share of one address,
// connections_per_address, spares loopback peers, so it is tested in
// internal/edge.)
func TestServeCapsConnections(t *testing.T) {
	t.Parallel()
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	srv := startServe(t, ln, "listen: "+addr+"\nbase_url: http://"+addr+"\ndatabase: \"memory:\"\napi_keys: ["+testAPIKey+"]\n"+
		"backends:\n  dummy:\n    secret: s3cret\nlimits:\n  connections: 2\n  connections_per_address: 1\n")
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	// refused asks on c and reports whether the listener refused it (the
	// handler's own answer may be anything).
	refused := func(c net.Conn) bool {
		t.Helper()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		no := resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" && strings.Contains(string(body), "too many connections")
		return no
	}
	// startServe's own client keeps a connection: once it is closed, the
	// server gives its place back soon after (when it reads the close).
	srv.client.CloseIdleConnections()
	var held []net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for len(held) < 2 { // both from loopback: past the address's share of 1
		c := dial()
		if !refused(c) {
			held = append(held, c)
		} else if time.Now().After(deadline) {
			t.Fatalf("a connection within the cap was refused, %d held", len(held))
		}
	}
	if !refused(dial()) {
		t.Fatal("a third connection was not refused (503 with Retry-After)")
	}
	held[0].Close()
	deadline = time.Now().Add(5 * time.Second)
	for refused(dial()) {
		if time.Now().After(deadline) {
			t.Fatal("a place given back is not taken again")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
