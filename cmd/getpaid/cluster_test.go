package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

const (
	clusterKey    = "cluster-api-key-0123456789"
	clusterSecret = "cluster-dummy-secret"
)

// cluster is several `getpaid serve` processes on one PostgreSQL schema.
type cluster struct {
	t     *testing.T
	dsn   string // the schema's, for the test's own connections
	pool  string // the servers' DSN: dsn with a small pool
	dir   string
	insts []*instance
	conn  *pgx.Conn // see db
}

// instance is one `getpaid serve` process.
type instance struct {
	url    string
	config string
	cmd    *exec.Cmd
	done   chan struct{}
	log    *syncBuffer
}

// clusterConfig shapes a cluster's config files.
type clusterConfig struct {
	// backends is the YAML of the backends mapping, indented by four
	// spaces; default the dummy backend.
	backends string
	// baseURL gives instance i's base_url; default its own address.
	baseURL func(i int, addr string) string
	// extra is more top-level YAML (webhooks, delivery_timeout, ...).
	extra string
}

// newCluster migrates a new schema with `getpaid migrate` and starts n
// servers on it; they are stopped when the test ends.
func newCluster(t *testing.T, n int, cc clusterConfig) *cluster {
	t.Helper()
	pgtest.DSN(t) // skips without PostgreSQL
	// Small pools: several clusters and the store tests share the test
	// database's connections.
	c := &cluster{t: t, dsn: pgtest.Schema(t), dir: t.TempDir()}
	c.pool = pgtest.With(c.dsn, map[string]string{"pool_max_conns": "4"})
	if out, err := c.run("migrate", "--config", c.writeConfig(0, "127.0.0.1:1", cc)); err != nil {
		t.Fatalf("getpaid migrate: %v\n%s", err, out)
	}
	for i := range n {
		c.insts = append(c.insts, c.start(i, cc))
	}
	return c
}

// writeConfig writes instance i's config, listening on addr.
func (c *cluster) writeConfig(i int, addr string, cc clusterConfig) string {
	base := "http://" + addr
	if cc.baseURL != nil {
		base = cc.baseURL(i, addr)
	}
	backends := cc.backends
	if backends == "" {
		backends = "    dummy:\n      secret: " + clusterSecret + "\n"
	}
	cfg := fmt.Sprintf("listen: %s\nbase_url: %s\ndatabase: %q\napi_keys: [%s]\nbackends:\n  %s",
		addr, base, cmp.Or(c.pool, c.dsn), clusterKey, strings.TrimLeft(backends, " "))
	if !strings.HasSuffix(cfg, "\n") {
		cfg += "\n"
	}
	cfg += cc.extra
	path := filepath.Join(c.dir, fmt.Sprintf("getpaid-%d.yaml", i))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// run runs the getpaid binary to completion.
func (c *cluster) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, getpaidBin(c.t), args...).CombinedOutput()
	return string(out), err
}

// start starts instance i and waits until it answers.
func (c *cluster) start(i int, cc clusterConfig) *instance {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	in := &instance{url: "http://" + addr, config: c.writeConfig(i, addr, cc), done: make(chan struct{}), log: &syncBuffer{}}
	in.cmd = exec.Command(getpaidBin(c.t), "serve", "--config", in.config, "--quiet")
	in.cmd.Stderr = in.log
	if err := in.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { _ = in.cmd.Wait(); close(in.done) }()
	c.t.Cleanup(func() { in.stop(c.t) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(in.url + "/api/v1/backends")
		if err == nil {
			resp.Body.Close()
			return in
		}
		select {
		case <-in.done:
			c.t.Fatalf("getpaid serve exited: %s", in.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("getpaid serve did not answer: %s", in.log)
		}
	}
}

// stop interrupts the instance and waits for it; it fails the test if the
// server logged an internal error.
func (in *instance) stop(t *testing.T) {
	select {
	case <-in.done:
	default:
		_ = in.cmd.Process.Signal(os.Interrupt)
		select {
		case <-in.done:
		case <-time.After(15 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.done
		}
	}
	if strings.Contains(in.log.String(), "internal error") {
		t.Errorf("%s logged an internal error:\n%s", in.url, in.log)
	}
}

// kill ends the instance with SIGKILL, as a crash would.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// db is the test's connection to the cluster's schema, for checks of what
// is stored (made on first use; for the test's goroutine only).
func (c *cluster) db() *pgx.Conn {
	c.t.Helper()
	if c.conn != nil {
		return c.conn
	}
	conn, err := pgx.Connect(c.t.Context(), c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	c.conn = conn
	return conn
}

// count runs a count query on the cluster's schema.
func (c *cluster) count(q string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db().QueryRow(c.t.Context(), q, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// httpClient is shared by the cluster tests: enough idle connections for
// bursts of 100.
var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

// do sends a request and returns the status and body; a transport error
// (an instance that died) is status 0.
func do(method, url string, header map[string]string, body []byte) (int, []byte) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, []byte(err.Error())
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// api calls the JSON API of an instance and decodes a 2xx answer into out.
func api(t *testing.T, method, url string, body any, header map[string]string, out any) int {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	h := map[string]string{"Authorization": "Bearer " + clusterKey, "Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	status, b := do(method, url, h, raw)
	if status/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return status
}

// createPayment creates a payment through instance in and returns it.
func createPayment(t *testing.T, in *instance, backend, order, amount string) *httpapi.PaymentJSON {
	t.Helper()
	var p httpapi.PaymentJSON
	req := map[string]any{"order_id": order, "amount": amount, "currency": "PLN", "backend": backend,
		"description": "order " + order, "buyer": map[string]string{"email": "buyer@example.com"}}
	if status := api(t, "POST", in.url+"/api/v1/payments", req, nil, &p); status != http.StatusCreated {
		t.Fatalf("create payment on %s: HTTP %d", in.url, status)
	}
	return &p
}

// getPayment reads a payment (with its history) through instance in.
func getPayment(t *testing.T, in *instance, id string) *httpapi.PaymentJSON {
	t.Helper()
	var p httpapi.PaymentJSON
	if status := api(t, "GET", in.url+"/api/v1/payments/"+id, nil, nil, &p); status != http.StatusOK {
		t.Fatalf("read payment %s on %s: HTTP %d", id, in.url, status)
	}
	return &p
}

// paidCallback is a signed dummy paid notification for p.
func paidCallback(p *httpapi.PaymentJSON, eventID string) (body []byte, header map[string]string) {
	body, sig := dummy.EncodeCallback(clusterSecret, dummy.Callback{PaymentID: p.ID, EventID: eventID,
		Status: "paid", Amount: p.Amount, Currency: p.Currency})
	return body, map[string]string{dummy.SignatureHeader: sig, "Content-Type": "application/json"}
}

// transitionsTo counts a payment's history rows into status to.
func transitionsTo(p *httpapi.PaymentJSON, to string) int {
	n := 0
	for _, tr := range p.History {
		if string(tr.To) == to {
			n++
		}
	}
	return n
}
