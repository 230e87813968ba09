package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestServeUnderSlowBodyFlood is the acceptance test of the public edge: a
// real `getpaid serve` child process takes a flood of connections sending
// 1 MB bodies to /callback/dummy and never finishing them (a third
// declaring 1 MB, a third chunked without a length, a third declaring a
// length within the cap), each reconnecting when the server hangs up. Its resident memory must stay
// under 200 MB, and a legitimate signed callback sent meanwhile must be
// answered 200 within a second and applied.
//
// 300 connections run always; GETPAID_TEST_HEAVY=1 runs the 1,500.
func TestServeUnderSlowBodyFlood(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the child's memory from /proc")
	}
	conns, attack := 300, 4*time.Second
	if os.Getenv("GETPAID_TEST_HEAVY") != "" {
		conns, attack = 1500, 10*time.Second
	}
	bin := getpaidBin(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "getpaid.yaml")
	const key, secret = "edge-test-api-key-0123456789", "edge-secret"
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
database: sqlite:%s
api_keys: [%s]
backends:
  dummy:
    secret: %s
`, filepath.Join(dir, "getpaid.db"), key, secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServeProc(t, bin, cfg)
	base := "http://" + srv.addr
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second}

	// A payment to pay during the flood.
	body := `{"order_id":"flood-1","amount":"10.00","currency":"PLN","backend":"dummy"}`
	req, _ := http.NewRequest("POST", base+"/api/v1/payments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ID, Status string }
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	before := srv.rss(t)

	ctx, stop := context.WithCancel(context.Background())
	var open, peakOpen, connects, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Attackers come from 127.0.0.2-11, the broker from 127.0.0.1:
			// addresses refused too often are blocked, as they should be.
			from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%10))}
			flood(ctx, from, srv.addr, i%3, &open, &peakOpen, &connects, &refused)
		}()
	}
	// Sample the server's memory while the flood ramps up and holds.
	peak := before
	sample := func() {
		if m := srv.rss(t); m > peak {
			peak = m
		}
	}
	deadline := time.Now().Add(attack / 2)
	for time.Now().Before(deadline) || connects.Load() < int64(conns) {
		sample()
		time.Sleep(20 * time.Millisecond)
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("only %d of %d attackers connected", connects.Load(), conns)
		}
	}
	openAtCallback := open.Load()
	cb, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "flood-evt", Status: "paid", Amount: "10.00", Currency: "PLN"})
	req, _ = http.NewRequest("POST", base+"/callback/dummy", bytes.NewReader(cb))
	req.Header.Set(dummy.SignatureHeader, sig)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err = (&http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 5 * time.Second}).Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("legitimate callback during the flood: %v", err)
	}
	resp.Body.Close()
	for end := time.Now().Add(attack / 2); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		sample()
	}
	stop()
	wg.Wait()
	sample()
	hwm := srv.hwm(t)
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	t.Logf("CPU: server %v, attackers (this test) %v", srv.cpu(t), time.Duration(self.Utime.Nano()+self.Stime.Nano()).Round(time.Millisecond))
	t.Logf("%d attacking connections (%d open when the callback was sent, %d at most at once, %d connects, %d refused by the server); "+
		"server RSS %.1f MB before, %.1f MB peak sampled, VmHWM %.1f MB; legitimate callback %d in %v",
		conns, openAtCallback, peakOpen.Load(), connects.Load(), refused.Load(), mb(before), mb(peak), mb(hwm), resp.StatusCode, took.Round(time.Millisecond))
	if resp.StatusCode != 200 || took > time.Second {
		t.Errorf("legitimate callback: %d in %v, want 200 within 1s", resp.StatusCode, took)
	}
	if hwm >= 200<<20 {
		t.Errorf("server resident memory peaked at %.1f MB, want under 200 MB", mb(hwm))
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/payments/"+p.ID, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if resp, err = client.Do(req); err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if p.Status != "paid" {
		t.Errorf("payment is %q after the legitimate callback, want paid", p.Status)
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// flood keeps one attacking connection from local open until ctx ends:
// kind 0 declares a 1 MB body, kind 1 sends 1 MB in chunks without a
// length, kind 2 declares 4000 bytes (within the cap). Each sends all but
// the last byte in 16 KiB writes as fast as the server takes them, then
// holds the connection without finishing, as a slow client would; it
// reconnects a second after the server answers or hangs up. A server that
// buffers whole bodies holds about 1 MB per connection.
func flood(ctx context.Context, local *net.TCPAddr, addr string, kind int, open, peakOpen, connects, refused *atomic.Int64) {
	d := net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		connects.Add(1)
		n := open.Add(1)
		for {
			p := peakOpen.Load()
			if n <= p || peakOpen.CompareAndSwap(p, n) {
				break
			}
		}
		head, size := "POST /callback/dummy HTTP/1.1\r\nHost: getpaid\r\nContent-Type: application/json\r\n", 1_000_000
		switch kind {
		case 0:
			head += "Content-Length: 1000000\r\n"
		case 1:
			head += "Transfer-Encoding: chunked\r\n"
		case 2:
			head += "Content-Length: 4000\r\n"
			size = 4000
		}
		closed := make(chan struct{})
		go func() { // the server's answer (or hang-up) ends this connection
			defer close(closed)
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				refused.Add(1)
				resp.Body.Close()
			}
		}()
		_, err = io.WriteString(c, head+"\r\n")
		block := strings.Repeat("x", 16<<10)
		for sent := 0; err == nil && sent < size-1; {
			n := min(len(block), size-1-sent)
			chunk := block[:n]
			if kind == 1 {
				chunk = fmt.Sprintf("%x\r\n%s\r\n", n, chunk)
			}
			if _, err = io.WriteString(c, chunk); err == nil {
				sent += n
			}
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-closed:
				err = io.EOF
			default:
			}
		}
		select { // hold the connection, never finishing the body
		case <-ctx.Done():
		case <-closed:
		}
		c.Close()
		<-closed
		open.Add(-1)
		sleep(ctx, time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

type serveProc struct {
	cmd  *exec.Cmd
	addr string
}

// startServeProc runs `getpaid serve` and waits until it listens.
func startServeProc(t *testing.T, bin, cfg string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg, "--quiet=false")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd}
	addrc := make(chan string, 1)
	var logs bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		listen := regexp.MustCompile(`msg="getpaid serving" listen=(\S+)`)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("server log:\n%s", tail(logs.String(), 40))
			mu.Unlock()
		}
	})
	select {
	case s.addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatal("getpaid serve did not start")
	}
	return s
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// cpu reads the child's CPU time (user and system) from /proc.
func (s *serveProc) cpu(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// rss and hwm read the child's current and peak resident memory in bytes.
func (s *serveProc) rss(t *testing.T) int64 { return s.status(t, "VmRSS:") }
func (s *serveProc) hwm(t *testing.T) int64 { return s.status(t, "VmHWM:") }

func (s *serveProc) status(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, s.cmd.Process.Pid)
	return 0
}
