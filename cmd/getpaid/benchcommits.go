package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// commitSample is what the servers' SQLite writers had committed at one
// moment, summed over the servers: from their /metrics
// (getpaid_store_commit_writes, a histogram of writes per commit).
type commitSample struct {
	writes, commits float64
	ok              bool // every server answered with the histogram
}

// sampleCommits reads the commit histogram of every server at urls with
// key. Not ok when a server does not serve it: the ceiling, a PostgreSQL
// store (no writer batches), metrics on a listener of their own.
func sampleCommits(ctx context.Context, urls []string, key string) commitSample {
	s := commitSample{ok: len(urls) > 0}
	for _, u := range urls {
		w, c, ok := serverCommits(ctx, u, key)
		s.writes, s.commits, s.ok = s.writes+w, s.commits+c, s.ok && ok
	}
	return s
}

// serverCommits reads one server's sum and count of writes per commit.
func serverCommits(ctx context.Context, url, key string) (writes, commits float64, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return 0, 0, false
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, false
	}
	var sum, count bool
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, found := strings.Cut(sc.Text(), " ")
		if !found {
			continue
		}
		var dst *float64
		switch name {
		case "getpaid_store_commit_writes_sum":
			dst, sum = &writes, true
		case "getpaid_store_commit_writes_count":
			dst, count = &commits, true
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, 0, false
		}
		*dst = f
	}
	return writes, commits, sum && count && sc.Err() == nil
}

// commitColumn is the writes per commit between two samples, or "-".
func commitColumn(a, b commitSample) string {
	if !a.ok || !b.ok || b.commits <= a.commits {
		return fmt.Sprintf(" %13s", "-")
	}
	return fmt.Sprintf(" %13.1f", (b.writes-a.writes)/(b.commits-a.commits))
}
