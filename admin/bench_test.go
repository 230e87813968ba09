package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/sqlite"
)

// listQueries are the listings measured on a large database.
var listQueries = []struct{ name, query string }{
	{"unfiltered", ""},
	{"status=paid", "?status=paid"},
	{"status=new", "?status=new"},
	{"order_id", "?order_id=seed-00500000"},
	{"backend+currency", "?backend=dummy&currency=PLN"},
	{"last_30_days", "?from=" + time.Now().AddDate(0, 0, -30).UTC().Format("2006-01-02")},
	{"status+currency", "?status=paid&currency=PLN"},
	{"status+one_day", "?status=failed&from=" + time.Now().AddDate(0, 0, -100).UTC().Format("2006-01-02") + "&to=" + time.Now().AddDate(0, 0, -100).UTC().Format("2006-01-02")},
}

// benchConsole serves the console over the SQLite database at
// $GETPAID_BENCH_DB (seeded with "getpaid admin seed", backend dummy) and
// returns a signed-in client and the server's URL; it skips without one.
func benchConsole(tb testing.TB) (*http.Client, string) {
	tb.Helper()
	path := os.Getenv("GETPAID_BENCH_DB")
	if path == "" {
		tb.Skip("set GETPAID_BENCH_DB to a database seeded with: getpaid admin seed --config FILE --count 1000000")
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: "http://127.0.0.1:1", Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = eng.Close() })
	c, err := admin.New(admin.Config{Service: eng, Users: []admin.User{{Name: "alice", PasswordHash: testHash(tb)}}, Prefix: "/admin", Logger: quiet, Audit: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", c))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Jar: jar}
	resp, err := client.Get(srv.URL + "/admin/login")
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	resp, err = client.PostForm(srv.URL+"/admin/login", url.Values{"csrf": {string(m[1])}, "name": {"alice"}, "password": {password}})
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("login: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	return client, srv.URL + "/admin/"
}

func fetch(tb testing.TB, client *http.Client, u string) {
	resp, err := client.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s", u, resp.Status)
	}
}

// BenchmarkConsoleList measures a whole page of the payments list (the
// newest 50 of the filter, the totals by status for the filter, the page
// rendered) over HTTP, on $GETPAID_BENCH_DB.
func BenchmarkConsoleList(b *testing.B) {
	client, base := benchConsole(b)
	for _, q := range listQueries {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				fetch(b, client, base+q.query)
			}
		})
	}
}

// TestConsoleListUnder100ms checks, on $GETPAID_BENCH_DB, that each listing
// answers in under 100 ms (the 95th percentile of 40 requests, after 5 to
// warm up).
func TestConsoleListUnder100ms(t *testing.T) {
	client, base := benchConsole(t)
	for _, q := range listQueries {
		var took []time.Duration
		for i := range 45 {
			start := time.Now()
			fetch(t, client, base+q.query)
			if i >= 5 {
				took = append(took, time.Since(start))
			}
		}
		slices.Sort(took)
		p50, p95 := took[len(took)/2], took[len(took)*95/100]
		t.Logf("%-17s p50 %6.1f ms  p95 %6.1f ms", q.name, float64(p50.Microseconds())/1000, float64(p95.Microseconds())/1000)
		if p95 > 100*time.Millisecond {
			t.Errorf("%s: p95 %s, want under 100 ms", q.name, p95)
		}
	}
}
