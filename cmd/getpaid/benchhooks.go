package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// benchReceiver is the merchant's webhook endpoint during `getpaid bench
// --webhook`: it checks every request's signature, as a merchant would, and
// records how long after its event each delivery arrived.
type benchReceiver struct {
	secret string
	url    string
	srv    *http.Server

	mu       sync.Mutex
	seen     map[string]bool
	lags     []time.Duration // arrival - event time, first delivery of each event
	repeats  int             // deliveries of an event already received
	bad      int             // requests that did not verify
	lastSeen time.Time
}

// startBenchReceiver serves a receiver on a loopback port.
func startBenchReceiver() (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &benchReceiver{secret: webhook.NewSecret(), url: "http://" + ln.Addr().String() + "/hook", seen: map[string]bool{}}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *benchReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var p webhook.Payload
	if err == nil {
		_, err = webhook.Verify([]string{h.secret}, r.Header, body, 5*time.Minute, now)
	}
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.bad++
		http.Error(w, "bad webhook", http.StatusBadRequest)
		return
	}
	if h.seen[p.Data.EventID] {
		h.repeats++
	} else {
		h.seen[p.Data.EventID] = true
		h.lags = append(h.lags, now.Sub(p.Timestamp))
	}
	h.lastSeen = now
	w.WriteHeader(http.StatusNoContent)
}

// config is the webhooks setting of getpaid.yaml pointing at the receiver.
func (h *benchReceiver) config() string {
	return fmt.Sprintf("webhooks:\n  - url: %s\n    secret: %s\n", h.url, h.secret)
}

// hookStats is what a run's deliveries looked like.
type hookStats struct {
	events, repeats, bad int
	p50, p99, max        time.Duration
}

// take returns the stats since the last take and starts afresh.
func (h *benchReceiver) take() hookStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := hookStats{events: len(h.lags), repeats: h.repeats, bad: h.bad}
	slices.Sort(h.lags)
	if len(h.lags) > 0 {
		s.p50, s.p99, s.max = percentile(h.lags, 0.50), percentile(h.lags, 0.99), h.lags[len(h.lags)-1]
	}
	h.lags, h.repeats, h.bad = h.lags[:0], 0, 0
	return s
}

// settle waits until no delivery has arrived for quiet (the backlog is
// drained), at most limit, and reports when the last one arrived.
func (h *benchReceiver) settle(quiet, limit time.Duration) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		last := h.lastSeen
		h.mu.Unlock()
		if !last.IsZero() && time.Since(last) > quiet {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastSeen
}

func (h *benchReceiver) close() { _ = h.srv.Close() }

// benchWebhooks runs the servers again with one webhook endpoint and, after
// each concurrency level, waits for the deliveries to drain and prints how
// late they arrived: the age of an event when its webhook reached the
// merchant is what the backlog was for it.
func benchWebhooks(ctx context.Context, stdout io.Writer, exe, dir, db string, nservers []int, profile string,
	run func(name string, urls []string, pids []int, key, secret string, after ...func(c, lifecycles int, end time.Time))) ([]string, map[string]map[int]float64, error) {
	h, err := startBenchReceiver()
	if err != nil {
		return nil, nil, err
	}
	defer h.close()
	var names []string
	perLC := map[string]map[int]float64{} // events delivered per lifecycle
	type row struct {
		name string
		c    int
		s    hookStats
		tail time.Duration
	}
	var rows []row
	for _, n := range nservers {
		name := "+webhook"
		if n > 1 || len(nservers) > 1 {
			name = fmt.Sprintf("+webhook×%d", n)
		}
		var prof string
		if profile != "" {
			prof = profile + ".webhook"
			if len(nservers) > 1 {
				prof = fmt.Sprintf("%s.%d", prof, n)
			}
		}
		urls, pids, stop, err := startGetpaids(ctx, exe, dir, db, n, prof, "delivery_timeout: 5s\n"+h.config())
		if err != nil {
			return nil, nil, err
		}
		h.take() // nothing from an earlier run counts
		perLC[name] = map[int]float64{}
		run(name, urls, pids, benchKey, benchSecret, func(c, lifecycles int, end time.Time) {
			last := h.settle(time.Second, time.Minute)
			s := h.take()
			rows = append(rows, row{name: name, c: c, s: s, tail: max(0, last.Sub(end))})
			if lifecycles > 0 {
				perLC[name][c] = float64(s.events) / float64(lifecycles)
			}
		})
		stop()
		names = append(names, name)
	}
	fmt.Fprintf(stdout, "\n%-12s %5s %8s %8s %5s  %-30s %s\n", "webhooks", "conc", "events", "repeats", "bad", "event age at delivery p50/p99/max", "drained after the load")
	for _, r := range rows {
		fmt.Fprintf(stdout, "%-12s %5d %8d %8d %5d  %-30s %s\n", r.name, r.c, r.s.events, r.s.repeats, r.s.bad,
			fmt.Sprintf("%s/%s/%s", ms(r.s.p50), ms(r.s.p99), ms(r.s.max)), ms(r.tail))
	}
	return names, perLC, nil
}

// deliveryRoom says how many of the lifecycles one endpoint's deliveries
// leave room for at best on this machine's CPU: each of the events
// delivered per lifecycle is an HTTP exchange, which costs both ends about
// what one of the ceiling's four requests per lifecycle costs (ceilingUS,
// machine CPU per lifecycle). The run without the endpoint spent plainUS
// per lifecycle at plainRate lifecycles/s; with it a lifecycle costs at
// least plainUS plus the exchanges, and cores·1s of CPU a second caps the
// rate. It is a ceiling (as good as that estimate of an exchange's cost),
// not a forecast: a run without the endpoint that left cores idle (its
// writes waited on their commits) leaves that room to the exchanges, and
// the closer an implementation comes to adding nothing but the exchanges,
// the closer it comes to it. kept is the measured rate with the endpoint
// over the rate without.
func deliveryRoom(events, ceilingUS, plainUS, plainRate float64, cores int, kept float64) string {
	s := fmt.Sprintf("got %.1f events per lifecycle and kept %.0f%% of the lifecycles", events, 100*kept)
	if ceilingUS <= 0 || plainUS <= 0 || plainRate <= 0 || cores <= 0 {
		return s
	}
	exchange := ceilingUS / 4
	capacity := float64(cores) * 1e6 // µs of CPU a second
	used := plainRate * plainUS / capacity
	best := min(1, capacity/(plainRate*(plainUS+events*exchange)))
	return s + fmt.Sprintf("; their HTTP exchanges alone (%.0f µs each, both ends, as the ceiling's) leave room for at most %.0f%% on %d cores (the run without them used %.0f%% of the cores)",
		exchange, 100*best, cores, 100*used)
}
