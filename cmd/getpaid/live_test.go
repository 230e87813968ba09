package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// testAPIKey is the API key of the servers the tests run.
const testAPIKey = "acceptance-api-key-0123456789"

// live is a getpaid server run the way `getpaid serve` runs one: serve on a
// listener, built from a config, until stopped.
type live struct {
	t      *testing.T
	base   string
	srv    *server // the wiring serve runs
	client *http.Client
	stop   func() error // graceful shutdown; returns what serve returned
}

// listen opens a loopback listener; its address makes the base URL.
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startServe builds the server the config yaml (and environment env)
// describes and runs serve with it on ln, as `getpaid serve` does, until the
// test ends or stop is called.
func startServe(t *testing.T, ln net.Listener, yaml string, env ...string) *live {
	t.Helper()
	c, err := parseConfig([]byte(yaml), env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := buildServer(context.Background(), c, log)
	if err != nil {
		_ = ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, srv, ln, log, 50*time.Millisecond) }()
	var (
		once    sync.Once
		stopErr error
	)
	l := &live{t: t, base: c.BaseURL, srv: srv, client: &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	l.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = errors.New("serve did not return 20 s after it was told to stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := l.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitFor(t, "the server to answer", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		resp, err := l.client.Get(l.base + "/api/v1/backends")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return l
}

// api sends a JSON API request with the API key and returns the status and body.
func (l *live) api(method, path string, body any) (int, []byte) {
	l.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			l.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, l.base+path, r)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Idempotency-Key", getpaid.NewID("key"))
	resp, err := l.client.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// create pays an order through backend with the JSON API.
func (l *live) create(order, amount, currency, backend string) httpapi.PaymentJSON {
	l.t.Helper()
	status, body := l.api("POST", "/api/v1/payments", map[string]any{
		"order_id": order, "amount": amount, "currency": currency, "backend": backend,
		"description": "Order " + order, "buyer": map[string]string{"email": "buyer@example.com", "first_name": "Jan", "last_name": "Kowalski"},
	})
	if status != http.StatusCreated {
		l.t.Fatalf("create %s through %s: %d %s", order, backend, status, body)
	}
	var p httpapi.PaymentJSON
	if err := json.Unmarshal(body, &p); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// payment reads a payment with the JSON API.
func (l *live) payment(id string) httpapi.PaymentJSON {
	l.t.Helper()
	status, body := l.api("GET", "/api/v1/payments/"+id, nil)
	if status != http.StatusOK {
		l.t.Fatalf("payment %s: %d %s", id, status, body)
	}
	var p httpapi.PaymentJSON
	if err := json.Unmarshal(body, &p); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// waitStatus waits until payment id has status want.
func (l *live) waitStatus(id, want string) httpapi.PaymentJSON {
	l.t.Helper()
	var p httpapi.PaymentJSON
	waitFor(l.t, "payment "+id+" to be "+want, func() bool {
		p = l.payment(id)
		return string(p.Status) == want
	})
	return p
}

// waitFor polls cond until it holds, failing the test after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
