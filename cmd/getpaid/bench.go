package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

const (
	benchKey    = "bench-api-key-0123456789"
	benchSecret = "bench-dummy-secret"
)

var stepNames = []string{"create", "read", "callback", "read-paid"}

// cmdBench measures whole payment lifecycles over HTTP: create (answered
// prepared with its redirect), read, signed paid callback, read. It starts a
// real `getpaid serve` on durable SQLite and the trivial in-memory ceiling
// server as child processes, and loads both, side by side, at each
// concurrency.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--duration D] [--concurrency 1,8,32] [--target URL --api-key KEY --secret S]",
		"getpaid bench --duration 10s --concurrency 8,32")
	dur := fs.Duration("duration", 5*time.Second, "load duration per server and concurrency")
	concs := fs.String("concurrency", "1,8,32", "comma-separated concurrency levels")
	target := fs.String("target", "", "bench an already running getpaid at this URL instead (needs --api-key, --secret)")
	key := fs.String("api-key", benchKey, "API key of --target")
	secret := fs.String("secret", benchSecret, "dummy backend secret of --target")
	if err := fs.parse(args); err != nil {
		return err
	}
	var levels []int
	for _, s := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fs.usage("bad --concurrency %q: want positive numbers separated by commas", s)
		}
		levels = append(levels, n)
	}
	type srv struct {
		name string
		url  string
		pid  int
	}
	var servers []srv
	if *target != "" {
		servers = append(servers, srv{name: "getpaid", url: strings.TrimRight(*target, "/")})
	} else {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "getpaid-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		ceil, stop1, err := startChild(ctx, exe, "bench-ceiling", "--addr", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer stop1()
		gp, stop2, err := startGetpaid(ctx, exe, dir)
		if err != nil {
			return err
		}
		defer stop2()
		servers = append(servers, srv{"ceiling", "http://" + ceil.addr, ceil.pid}, srv{"getpaid", "http://" + gp.addr, gp.pid})
	}
	fmt.Fprintf(stdout, "lifecycle = create -> read -> signed paid callback -> read; %s per run; GOMAXPROCS of this client=%d\n\n", *dur, runtimeProcs())
	fmt.Fprintf(stdout, "%-8s %5s %12s %8s  %-15s %-15s %-15s %-15s\n", "server", "conc", "lifecycles/s", "errors", "create p50/p99", "read p50/p99", "callback p50/p99", "read2 p50/p99")
	results := map[string]map[int]float64{}
	for _, c := range levels {
		for _, s := range servers {
			r := load(ctx, s.url, *key, *secret, c, *dur)
			if results[s.name] == nil {
				results[s.name] = map[int]float64{}
			}
			results[s.name][c] = r.rate
			fmt.Fprintf(stdout, "%-8s %5d %12.0f %8d", s.name, c, r.rate, r.errors)
			for i := range stepNames {
				fmt.Fprintf(stdout, "  %-15s", fmt.Sprintf("%s/%s", ms(r.p50[i]), ms(r.p99[i])))
			}
			fmt.Fprintln(stdout)
			if r.firstErr != nil {
				fmt.Fprintf(stdout, "         first error: %v\n", r.firstErr)
			}
		}
	}
	fmt.Fprintln(stdout)
	for _, c := range levels {
		if ceil, ok := results["ceiling"][c]; ok && ceil > 0 {
			fmt.Fprintf(stdout, "concurrency %d: getpaid reaches %.0f%% of the HTTP ceiling\n", c, 100*results["getpaid"][c]/ceil)
		}
	}
	for _, s := range servers {
		if s.pid != 0 {
			fmt.Fprintf(stdout, "%s server memory: %s\n", s.name, procMemory(s.pid))
		}
	}
	return nil
}

type child struct {
	addr string
	pid  int
}

func startChild(ctx context.Context, exe string, args ...string) (*child, func(), error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("bench: %s did not start: %w", args[0], err)
	}
	go io.Copy(io.Discard, out)
	return &child{addr: strings.TrimSpace(line), pid: cmd.Process.Pid}, stop, nil
}

// startGetpaid runs `getpaid serve` on a fresh durable SQLite file.
func startGetpaid(ctx context.Context, exe, dir string) (*child, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf("listen: %s\nbase_url: http://%s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: %s\n",
		addr, addr, filepath.Join(dir, "bench.db"), benchKey, benchSecret)
	path := filepath.Join(dir, "getpaid.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "--config", path, "--quiet")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/api/v1/backends")
		if err == nil {
			resp.Body.Close()
			return &child{addr: addr, pid: cmd.Process.Pid}, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, nil, errors.New("bench: getpaid serve did not start")
}

type loadResult struct {
	rate     float64
	errors   int
	firstErr error
	p50, p99 [4]time.Duration
}

func load(ctx context.Context, base, key, secret string, conc int, dur time.Duration) loadResult {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxIdleConns: conc * 2}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var lat [4][]time.Duration
	var res loadResult
	done := 0
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine [4][]time.Duration
			n, errs := 0, 0
			var firstErr error
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				d, err := lifecycle(ctx, client, base, key, secret, fmt.Sprintf("bench-%d-%d-%d", start.UnixNano(), w, i))
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				for s := range d {
					mine[s] = append(mine[s], d[s])
				}
				n++
			}
			mu.Lock()
			defer mu.Unlock()
			for s := range mine {
				lat[s] = append(lat[s], mine[s]...)
			}
			done += n
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = firstErr
			}
		}(w)
	}
	wg.Wait()
	res.rate = float64(done) / time.Since(start).Seconds()
	for s := range lat {
		res.p50[s], res.p99[s] = percentile(lat[s], 0.50), percentile(lat[s], 0.99)
	}
	return res
}

func lifecycle(ctx context.Context, c *http.Client, base, key, secret, order string) ([4]time.Duration, error) {
	var d [4]time.Duration
	body, _ := json.Marshal(map[string]any{"order_id": order, "amount": "12.34", "currency": "PLN", "backend": "dummy",
		"description": "bench", "buyer": map[string]string{"email": "bench@example.com"}, "return_url": "https://shop.example/o/" + order})
	var p struct {
		ID       string            `json:"id"`
		Status   string            `json:"status"`
		Redirect *getpaid.Redirect `json:"redirect"`
	}
	t := time.Now()
	if err := call(ctx, c, "POST", base+"/api/v1/payments", key, nil, body, 201, &p); err != nil {
		return d, fmt.Errorf("create: %w", err)
	}
	d[0] = time.Since(t)
	if p.Status != "prepared" || p.Redirect == nil || p.Redirect.URL == "" {
		return d, fmt.Errorf("create answered %q without a redirect", p.Status)
	}
	t = time.Now()
	if err := call(ctx, c, "GET", base+"/api/v1/payments/"+p.ID, key, nil, nil, 200, &p); err != nil {
		return d, fmt.Errorf("read: %w", err)
	}
	d[1] = time.Since(t)
	cb, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "evt-" + p.ID, Status: "paid", Amount: "12.34", Currency: "PLN"})
	t = time.Now()
	if err := call(ctx, c, "POST", base+"/callback/dummy", "", map[string]string{dummy.SignatureHeader: sig}, cb, 200, nil); err != nil {
		return d, fmt.Errorf("callback: %w", err)
	}
	d[2] = time.Since(t)
	t = time.Now()
	if err := call(ctx, c, "GET", base+"/api/v1/payments/"+p.ID, key, nil, nil, 200, &p); err != nil {
		return d, fmt.Errorf("read paid: %w", err)
	}
	d[3] = time.Since(t)
	if p.Status != "paid" {
		return d, fmt.Errorf("status after paid callback is %q", p.Status)
	}
	return d, nil
}

func call(ctx context.Context, c *http.Client, method, url, key string, hdr map[string]string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// procMemory reads peak and current resident memory of a process from /proc.
func procMemory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	var peak, rss string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("peak RSS %s, RSS now %s", peak, rss)
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
