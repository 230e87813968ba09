package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/examples/shop"
)

// The demo shop in a real browser (headless Chromium driven by chromedp):
// the paid journey, many times for every backend the demo offers, never
// shows an order page saying the order is not paid once its payment has
// been paid for more than 3 seconds, and ends on "paid" with the page no
// longer refreshing; the declined journey ends on a page that says so and
// stops refreshing.
//
// GETPAID_BROWSER_RUNS sets the paid journeys per backend (default 3; the
// issue's acceptance run is 20); GETPAID_CHROME names the browser. Without
// a browser the test is skipped, so `go test ./...` passes anywhere.

// browserPath finds Chromium or Chrome.
func browserPath() string {
	if p := os.Getenv("GETPAID_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// demoBackends are the backends the demo offers, with the button of their
// buyer's page that declines, and the state the order page ends in after a
// decline: brokers that send nothing on a decline (Przelewy24, Tpay) end on
// "not confirmed".
var demoBackends = []struct {
	name, decline, declined string
}{
	{"dummy", "failed", "declined"},
	{"payu", "declined", "declined"},
	{"przelewy24", "declined", "not_confirmed"},
	{"dotpay", "declined", "declined"},
	{"tpay", "declined", "not_confirmed"},
	{"transferuj", "declined", "not_confirmed"},
}

// pageView is what the order page shows at one moment.
type pageView struct {
	Path     string   `json:"path"`
	State    string   `json:"state"`
	Refresh  bool     `json:"refresh"`
	Origin   float64  `json:"origin"` // when the document was loaded (ms): changes on every reload
	Statuses []string `json:"statuses"`
}

const observeJS = `(() => { const s = document.querySelector('#order-status');
  return { path: location.pathname, state: s ? s.dataset.state : '',
    refresh: !!document.querySelector('meta[http-equiv=refresh]'), origin: performance.timeOrigin,
    statuses: [...document.querySelectorAll('.payment-status')].map(e => e.dataset.status) }; })()`

type observation struct {
	at time.Time
	v  pageView
}

func TestDemoInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journeys are not short")
	}
	chrome := browserPath()
	if chrome == "" {
		t.Skip("no Chromium or Chrome found (apt-get install chromium, or set GETPAID_CHROME): the demo's browser journeys were not run")
	}
	runs := 3
	if v := os.Getenv("GETPAID_BROWSER_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GETPAID_BROWSER_RUNS=%q: want a positive number", v)
		}
		runs = n
	}
	const confirmWait = 4 * time.Second
	base, app := serveTestDemo(t, demoOptions{confirmWait: confirmWait, refresh: time.Second})

	actx, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 900))
	defer stopAlloc()
	bctx, stopBrowser := chromedp.NewContext(actx)
	defer stopBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("the browser %s does not start (%v): the demo's browser journeys were not run", chrome, err)
	}

	started := time.Now()
	// Tabs run journeys side by side; each backend's journeys are spread
	// over them.
	tabs := 3
	if v, _ := strconv.Atoi(os.Getenv("GETPAID_BROWSER_TABS")); v > 0 {
		tabs = v
	}
	type job struct {
		backend, outcome, want string
		i                      int
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	took := map[string][]time.Duration{}
	for range tabs {
		tctx, closeTab := chromedp.NewContext(bctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer closeTab()
			// Open the tab now, on its own context: a tab first used
			// through a journey's timeout context would close with it.
			if err := chromedp.Do(tctx); err != nil {
				t.Errorf("opening a tab: %v", err)
				for range jobs {
				}
				return
			}
			for j := range jobs {
				t0 := time.Now()
				name := fmt.Sprintf("%s %s #%d", j.backend, j.outcome, j.i)
				if err := journey(tctx, t, app, base, j.backend, j.outcome, j.want, confirmWait); err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				mu.Lock()
				took[j.backend+" "+j.outcome] = append(took[j.backend+" "+j.outcome], time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	for i := range runs {
		for _, b := range demoBackends {
			jobs <- job{backend: b.name, outcome: "paid", want: "paid", i: i + 1}
		}
	}
	for _, b := range demoBackends {
		jobs <- job{backend: b.name, outcome: b.decline, want: b.declined, i: 1}
	}
	close(jobs)
	wg.Wait()
	keys := make([]string, 0, len(took))
	for k := range took {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d := took[k]
		slices.Sort(d)
		t.Logf("%-22s %2d journeys, median %v, slowest %v", k, len(d), d[len(d)/2].Round(10*time.Millisecond), d[len(d)-1].Round(10*time.Millisecond))
	}
	t.Logf("%d paid journeys per backend and one declined each, %d tabs: %v", runs, tabs, time.Since(started).Round(100*time.Millisecond))
}

// journey orders a mug, pays or declines it with backend in the browser,
// and watches the order page until it settles in want.
func journey(ctx context.Context, t *testing.T, app *shop.App, base, backend, outcome, want string, confirmWait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, step := range []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/"),
		chromedp.Click(chromedp.CSS("#buy-mug")),
		chromedp.WaitVisible(chromedp.CSS("#order-status")),
		chromedp.Click(chromedp.CSS("a#pay")),
		chromedp.Click(chromedp.CSS(`input[name=backend][value="` + backend + `"]`)),
		chromedp.Click(chromedp.CSS("form button#pay")),
		chromedp.Click(chromedp.CSS(`button[name=outcome][value="` + outcome + `"]`)),
	} {
		if err := chromedp.Do(ctx, step); err != nil {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			where, _ := chromedp.Run(wctx, chromedp.Evaluate[string]("location.href + ' ' + document.title"))
			cancel()
			return fmt.Errorf("step %d of the way to the broker's page and back, at %s: %w", i+1, where, err)
		}
	}
	var obs []observation
	var orderPath string
	deadline := time.Now().Add(confirmWait + 20*time.Second)
	var settledAt time.Time
	for time.Now().Before(deadline) {
		ectx, cancelEval := context.WithTimeout(ctx, 3*time.Second)
		v, err := chromedp.Run(ectx, chromedp.Evaluate[pageView](observeJS))
		cancelEval()
		if err != nil || !strings.HasPrefix(v.Path, "/orders/") {
			time.Sleep(50 * time.Millisecond) // between pages
			continue
		}
		orderPath = v.Path
		obs = append(obs, observation{time.Now(), v})
		if v.State != "" && !v.Refresh {
			if settledAt.IsZero() {
				settledAt = time.Now()
			}
			// Settled: the page must stay as it is (no reload) for more
			// than a refresh interval.
			if time.Since(settledAt) > 1500*time.Millisecond {
				break
			}
		} else {
			settledAt = time.Time{}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(obs) == 0 {
		return fmt.Errorf("never came back to the order page")
	}
	last := obs[len(obs)-1].v
	if last.State != want || last.Refresh {
		return fmt.Errorf("the order page ended in %q (refreshing: %v), want %q and still; seen: %s", last.State, last.Refresh, want, trail(obs))
	}
	for _, o := range obs {
		if o.at.After(settledAt) && o.v.Origin != last.Origin {
			return fmt.Errorf("the settled page reloaded itself; seen: %s", trail(obs))
		}
	}
	if want != "paid" {
		return nil
	}
	// When did the payment become paid? The engine's history says.
	orderID := strings.TrimPrefix(orderPath, "/orders/")
	page, err := app.Engine.Payments(context.Background(), getpaid.PaymentFilter{OrderID: orderID})
	if err != nil || len(page.Payments) != 1 {
		return fmt.Errorf("payments of %s: %v, %v", orderID, page, err)
	}
	hist, err := app.Engine.History(context.Background(), page.Payments[0].ID)
	if err != nil {
		return err
	}
	var paidAt time.Time
	for _, h := range hist {
		if h.To == getpaid.StatusPaid {
			paidAt = h.At
		}
	}
	if paidAt.IsZero() {
		return fmt.Errorf("payment %s never paid: %+v", page.Payments[0].ID, hist)
	}
	for _, o := range obs {
		if o.at.After(paidAt.Add(3*time.Second)) && o.v.State != "paid" && o.v.State != "recording" {
			return fmt.Errorf("%v after the payment was paid the order page says %q; seen: %s", o.at.Sub(paidAt).Round(time.Millisecond), o.v.State, trail(obs))
		}
	}
	return nil
}

// trail summarises what the page showed, state by state.
func trail(obs []observation) string {
	var parts []string
	prev := ""
	for _, o := range obs {
		s := fmt.Sprintf("%s%v", o.v.State, o.v.Statuses)
		if s != prev {
			parts = append(parts, o.at.Format("15:04:05.000")+" "+s)
			prev = s
		}
	}
	return strings.Join(parts, " → ")
}
