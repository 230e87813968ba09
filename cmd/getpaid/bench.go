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
// prepared with its redirect), read, signed paid callback, read. It starts
// the trivial in-memory ceiling server and real `getpaid serve` processes
// (on a fresh durable SQLite file, or on --database) as child processes, and
// loads them at each concurrency. With several servers (--servers 3), they
// share the database and each request of a lifecycle goes to the next
// server, as behind a round-robin load balancer.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--duration D] [--concurrency 1,8,32] [--database URL] [--servers 1,3] [--target URL,... --api-key KEY --secret S]",
		"getpaid bench --duration 10s --concurrency 8,32")
	dur := fs.Duration("duration", 5*time.Second, "load duration per server and concurrency")
	concs := fs.String("concurrency", "1,8,32", "comma-separated concurrency levels")
	target := fs.String("target", "", "bench already running getpaid servers at these comma-separated URLs instead (needs --api-key, --secret)")
	key := fs.String("api-key", benchKey, "API key of --target")
	secret := fs.String("secret", benchSecret, "dummy backend secret of --target")
	database := fs.String("database", "", "database of the servers it starts: postgres://... (use a scratch database: the bench's payments stay in it); default a fresh SQLite file")
	counts := fs.String("servers", "1", "comma-separated numbers of getpaid serve processes sharing the database, one run each")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the first server of each run to this file (a run with N servers: FILE.N; the --webhook runs: FILE.webhook)")
	hooks := fs.Bool("webhook", false, "run the servers again with one webhook endpoint (a receiver in this process that verifies every request) and report how late deliveries arrive")
	rate := fs.Float64("rate", 0, "cap the lifecycles started per second (0: as fast as the servers answer); each lifecycle makes two status changes")
	if err := fs.parse(args); err != nil {
		return err
	}
	// --database "$DSN" with DSN unset would bench a fresh SQLite file,
	// --target "$URLS" servers of its own: not what was named.
	if err := fs.givenEmpty("target", "database"); err != nil {
		return err
	}
	if *dur <= 0 {
		return fs.usage("--duration %s: want a positive duration, e.g. 5s", *dur)
	}
	if *rate < 0 {
		return fs.usage("--rate %v: want 0 (no cap) or more", *rate)
	}
	levels, err := intList(*concs)
	if err != nil {
		return fs.usage("bad --concurrency: %v", err)
	}
	nservers, err := intList(*counts)
	if err != nil {
		return fs.usage("bad --servers: %v", err)
	}
	if *target != "" && *database != "" {
		return fs.usage("--database is of the servers bench starts; with --target it benches servers already running on theirs")
	}
	var dir, db string
	if *target == "" {
		// The database is checked (and migrated) before anything runs: a
		// bad URL was refused only after the ceiling's run.
		d, err := os.MkdirTemp("", "getpaid-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir, db = d, *database
		if db == "" {
			db = "sqlite:" + filepath.Join(dir, "bench.db")
		}
		if _, err := migrateStore(ctx, db); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	fmt.Fprintf(stdout, "lifecycle = create -> read -> signed paid callback -> read; %s per run; GOMAXPROCS of this client=%d\n\n", *dur, runtimeProcs())
	fmt.Fprintf(stdout, "%-10s %5s %12s %8s  %-15s %-15s %-15s %-15s %11s %11s %5s %13s\n", "server", "conc", "lifecycles/s", "errors",
		"create p50/p99", "read p50/p99", "callback p50/p99", "read2 p50/p99", "server µs/lc", "client µs/lc", "busy", "writes/commit")
	// failed is the first run that completed nothing (a server down, a
	// wrong key): the table is printed whole, then bench fails.
	var failed error
	results := map[string]map[int]float64{}
	perLC := map[string]map[int]float64{} // machine CPU µs per lifecycle, where known
	run := func(name string, urls []string, pids []int, key, secret string, after ...func(c, lifecycles int, end time.Time)) {
		results[name], perLC[name] = map[int]float64{}, map[int]float64{}
		for _, c := range levels {
			commits := sampleCommits(ctx, urls, key)
			before := sampleCPU(pids)
			r := load(ctx, urls, key, secret, c, *dur, *rate)
			now := sampleCPU(pids)
			commitsNow := sampleCommits(ctx, urls, key)
			cpu := cpuColumns(before, now, r.done)
			if us, ok := machineCPU(before, now, r.done); ok {
				perLC[name][c] = us
			}
			results[name][c] = r.rate
			fmt.Fprintf(stdout, "%-10s %5d %12.0f %8d", name, c, r.rate, r.errors)
			for i := range stepNames {
				fmt.Fprintf(stdout, "  %-15s", fmt.Sprintf("%s/%s", ms(r.p50[i]), ms(r.p99[i])))
			}
			fmt.Fprintln(stdout, cpu+commitColumn(commits, commitsNow))
			if r.firstErr != nil {
				fmt.Fprintf(stdout, "           first error: %v\n", r.firstErr)
			}
			if r.done == 0 && failed == nil {
				failed = fmt.Errorf("bench: %s at concurrency %d completed no lifecycle", name, c)
				if r.firstErr != nil {
					failed = fmt.Errorf("%w (first error: %v)", failed, r.firstErr)
				}
			}
			for _, f := range after {
				f(c, r.done, time.Now())
			}
		}
	}
	if *target != "" {
		var urls []string
		for _, u := range strings.Split(*target, ",") {
			urls = append(urls, strings.TrimRight(strings.TrimSpace(u), "/"))
		}
		run("getpaid", urls, nil, *key, *secret) // CPU columns: "-" (servers not ours)
	} else {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		ceil, stop, err := startChild(ctx, exe, "bench-ceiling", "--addr", "127.0.0.1:0")
		if err != nil {
			return err
		}
		run("ceiling", []string{"http://" + ceil.addr}, []int{ceil.pid}, benchKey, benchSecret)
		mem := map[string]string{"ceiling": procMemory(ceil.pid)}
		stop()
		var names []string
		for _, n := range nservers {
			name := "getpaid"
			if n > 1 || len(nservers) > 1 {
				name = fmt.Sprintf("getpaid×%d", n)
			}
			var prof string
			if *profile != "" {
				prof = *profile
				if len(nservers) > 1 {
					prof = fmt.Sprintf("%s.%d", *profile, n)
				}
			}
			urls, pids, stop, err := startGetpaids(ctx, exe, dir, db, n, prof, "")
			if err != nil {
				return err
			}
			run(name, urls, pids, benchKey, benchSecret)
			for i, pid := range pids {
				mem[fmt.Sprintf("%s #%d", name, i+1)] = procMemory(pid)
			}
			stop()
			names = append(names, name)
		}
		var perLCEvents map[string]map[int]float64
		if *hooks {
			hn, events, err := benchWebhooks(ctx, stdout, exe, dir, db, nservers, *profile, run)
			if err != nil {
				return err
			}
			names, perLCEvents = append(names, hn...), events
		}
		fmt.Fprintln(stdout)
		for _, c := range levels {
			ceil := results["ceiling"][c]
			for _, name := range names {
				if ceil > 0 {
					fmt.Fprintf(stdout, "concurrency %d: %s reaches %.0f%% of the HTTP ceiling\n", c, name, 100*results[name][c]/ceil)
				}
			}
			for i := range nservers {
				if !*hooks {
					break
				}
				plain, hooked := names[i], names[len(nservers)+i]
				if k := perLCEvents[hooked][c]; k > 0 && results[plain][c] > 0 {
					fmt.Fprintf(stdout, "concurrency %d: %s %s\n", c, hooked, deliveryRoom(k, perLC["ceiling"][c], perLC[plain][c], results[plain][c], runtime.NumCPU(), results[hooked][c]/results[plain][c]))
				}
			}
		}
		keys := make([]string, 0, len(mem))
		for k := range mem {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(stdout, "%s server memory: %s\n", k, mem[k])
		}
	}
	return failed
}

// intList parses "1,8,32".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
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

// startGetpaids runs n `getpaid serve` processes on database (migrated
// already), the first with a CPU profile to profile when it is set, and
// returns their URLs and pids and a func that stops them all.
func startGetpaids(ctx context.Context, exe, dir, database string, n int, profile, extraConfig string) ([]string, []int, func(), error) {
	var (
		urls  []string
		pids  []int
		stops []func()
	)
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	for i := range n {
		var extra []string
		if i == 0 && profile != "" {
			extra = []string{"--cpuprofile", profile}
		}
		c, stop, err := startGetpaid(ctx, exe, filepath.Join(dir, fmt.Sprintf("server-%d.yaml", i)), database, extraConfig, extra...)
		if err != nil {
			stopAll()
			return nil, nil, nil, err
		}
		stops = append(stops, stop)
		urls = append(urls, "http://"+c.addr)
		pids = append(pids, c.pid)
	}
	return urls, pids, stopAll, nil
}

// startGetpaid runs `getpaid serve` on database with a config written to
// path, and waits until it answers.
func startGetpaid(ctx context.Context, exe, path, database, extraConfig string, extra ...string) (*child, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf("listen: %s\nbase_url: http://%s\ndatabase: %q\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: %s\n",
		addr, addr, database, benchKey, benchSecret)
	cfg += extraConfig
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"serve", "--config", path, "--quiet"}, extra...)...)
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
	done     int // lifecycles completed
	errors   int
	firstErr error
	p50, p99 [4]time.Duration
}

func load(ctx context.Context, bases []string, key, secret string, conc int, dur time.Duration, rate float64) loadResult {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxIdleConns: conc * 2}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var lat [4][]time.Duration
	var res loadResult
	done := 0
	deadline := time.Now().Add(dur)
	var tick <-chan time.Time // with a rate, each lifecycle waits for a tick
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
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
				if tick != nil {
					<-tick
				}
				d, err := lifecycle(ctx, client, rotate(bases, w+i), key, secret, fmt.Sprintf("bench-%d-%d-%d", start.UnixNano(), w, i))
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
	res.done = done
	res.rate = float64(done) / time.Since(start).Seconds()
	for s := range lat {
		res.p50[s], res.p99[s] = percentile(lat[s], 0.50), percentile(lat[s], 0.99)
	}
	return res
}

// rotate returns bases from the k-th on, wrapping around: lifecycle sends
// its i-th request to the i-th.
func rotate(bases []string, k int) []string {
	k %= len(bases)
	return append(append([]string(nil), bases[k:]...), bases[:k]...)
}

// lifecycle runs one payment's lifecycle, request i going to bases[i%len].
func lifecycle(ctx context.Context, c *http.Client, bases []string, key, secret, order string) ([4]time.Duration, error) {
	base := func(i int) string { return bases[i%len(bases)] }
	var d [4]time.Duration
	body, _ := json.Marshal(map[string]any{"order_id": order, "amount": "12.34", "currency": "PLN", "backend": "dummy",
		"description": "bench", "buyer": map[string]string{"email": "bench@example.com"}, "return_url": "https://shop.example/o/" + order})
	var p struct {
		ID       string            `json:"id"`
		Status   string            `json:"status"`
		Redirect *getpaid.Redirect `json:"redirect"`
	}
	t := time.Now()
	if err := call(ctx, c, "POST", base(0)+"/api/v1/payments", key, nil, body, 201, &p); err != nil {
		return d, fmt.Errorf("create: %w", err)
	}
	d[0] = time.Since(t)
	if p.Status != "prepared" || p.Redirect == nil || p.Redirect.URL == "" {
		return d, fmt.Errorf("create answered %q without a redirect", p.Status)
	}
	t = time.Now()
	if err := call(ctx, c, "GET", base(1)+"/api/v1/payments/"+p.ID, key, nil, nil, 200, &p); err != nil {
		return d, fmt.Errorf("read: %w", err)
	}
	d[1] = time.Since(t)
	cb, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "evt-" + p.ID, Status: "paid", Amount: "12.34", Currency: "PLN"})
	t = time.Now()
	if err := call(ctx, c, "POST", base(2)+"/callback/dummy", "", map[string]string{dummy.SignatureHeader: sig}, cb, 200, nil); err != nil {
		return d, fmt.Errorf("callback: %w", err)
	}
	d[2] = time.Since(t)
	t = time.Now()
	if err := call(ctx, c, "GET", base(3)+"/api/v1/payments/"+p.ID, key, nil, nil, 200, &p); err != nil {
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
