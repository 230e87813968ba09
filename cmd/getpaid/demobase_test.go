package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// The simulated brokers call the demo at its --base-url, as real brokers
// call a shop: a base URL this machine cannot reach (a name only browsers
// resolve, a port published as another in a container) would leave every
// simulator payment unstarted ("try again") and every dummy payment
// unconfirmed, with nothing in the log. The demo checks, once it listens,
// that its base URL reaches it, and says loudly when it does not.
func TestDemoBaseURLReachesItself(t *testing.T) {
	t.Parallel()
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	closed := free() // nothing listens there
	addr := free()
	tests := []struct {
		name, addr, baseURL string
		warned              bool
	}{
		{"a base URL reaching another address", "127.0.0.1:0", "http://" + closed, true},
		{"a base URL reaching the demo", addr, "http://" + addr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"demo", "--addr", tt.addr, "--base-url", tt.baseURL, "--data", t.TempDir()}, strings.NewReader(""), &out, &errb)
			}()
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) && !strings.Contains(errb.String(), "base-url") && !strings.Contains(errb.String(), "reaches this demo") {
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			if code := <-done; code != 0 || !strings.Contains(out.String(), "getpaid demo stopped") {
				t.Fatalf("exit %d; out %q err %q; want exit 0 and a word that the demo stopped (Ctrl+C)", code, out.String(), errb.String())
			}
			warned := strings.Contains(errb.String(), "does not reach this demo")
			if warned != tt.warned || (!warned && !strings.Contains(errb.String(), "reaches this demo")) {
				t.Fatalf("warned %v, want %v; stderr:\n%s", warned, tt.warned, errb.String())
			}
		})
	}
}
