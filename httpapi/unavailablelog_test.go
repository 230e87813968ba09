package httpapi_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// While the database is away every request is answered 503; the log says
// so once a window (then how many it did not log), not once a request: a
// three-second PostgreSQL restart under load wrote about 2,700 lines.
func TestUnavailableLoggedOncePerWindow(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	logs := &logLines{}
	flaky := new(flakyStore)
	e := newEnv(t, envOpts{log: slog.New(logs), limits: httpapi.Limits{Now: clock.Now},
		wrapStore: func(s getpaid.Store) getpaid.Store { flaky.Store = s; return flaky }})
	p := e.create("o-unavail", "10.00", "PLN", "dummy")
	flaky.down.Store(true)
	for i := range 10 {
		if resp, body := e.do("GET", "/api/v1/payments/"+p.ID, nil, auth); resp.StatusCode != 503 {
			t.Fatalf("read %d while the store is away: %d %s", i, resp.StatusCode, body)
		}
	}
	if n := logs.count("unavailable"); n != 1 {
		t.Fatalf("%d log lines for 10 requests answered 503 in one window, want 1", n)
	}
	clock.Add(time.Minute)
	if resp, _ := e.do("GET", "/api/v1/payments/"+p.ID, nil, auth); resp.StatusCode != 503 {
		t.Fatalf("next window: %d", resp.StatusCode)
	}
	if n := logs.count("unavailable"); n != 2 {
		t.Fatalf("%d log lines after the next window's first 503, want 2", n)
	}
}
