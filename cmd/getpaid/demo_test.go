package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/examples/shop"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestDemoShopEndToEnd runs the demo shop over real HTTP on its SQLite file:
// place an order, choose the dummy broker, approve on the paywall, come back
// to the order page and see it paid; then decline another and see it unpaid.
func TestDemoShopEndToEnd(t *testing.T) {
	t.Parallel()
	base, client := startTestDemo(t, demoOptions{})

	for _, tt := range []struct {
		sku, outcome, want string
	}{
		{"mug", "paid", "paid"},
		{"tshirt", "failed", "declined"},
	} {
		t.Run(tt.outcome, func(t *testing.T) {
			// Place an order; land on its page.
			resp, err := client.PostForm(base+"/orders", url.Values{"sku": {tt.sku}})
			if err != nil {
				t.Fatal(err)
			}
			orderURL := resp.Request.URL.String()
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
				resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("the shop's order page lacks the page headers: CSP %q, X-Content-Type-Options %q",
					csp, resp.Header.Get("X-Content-Type-Options"))
			}
			page := readAll(t, resp)
			if !strings.Contains(page, `data-state="unpaid"`) || !strings.Contains(page, `id="pay"`) {
				t.Fatalf("new order page:\n%s", page)
			}
			orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
			// The payment form lists the dummy broker.
			form := get(t, client, base+"/payments/pay/"+orderID)
			if !strings.Contains(form, `value="dummy"`) {
				t.Fatalf("payment form:\n%s", form)
			}
			// Choose it: the client follows the redirect to the paywall.
			resp, err = client.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {"dummy"}})
			if err != nil {
				t.Fatal(err)
			}
			paywall := readAll(t, resp)
			if !strings.Contains(resp.Request.URL.Path, "/payments/broker/dummy/pay") || !strings.Contains(paywall, "Dummy broker") {
				t.Fatalf("paywall at %s:\n%s", resp.Request.URL, paywall)
			}
			fields := url.Values{}
			for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(paywall, -1) {
				fields.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
			}
			fields.Set("outcome", tt.outcome)
			resp, err = client.PostForm(base+"/payments/broker/dummy/choose", fields)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if strings.TrimSuffix(resp.Request.URL.String(), "?") != orderURL {
				t.Fatalf("buyer landed on %s, want the order page %s", resp.Request.URL, orderURL)
			}
			// The callback is asynchronous: the order page shows the result soon.
			deadline := time.Now().Add(10 * time.Second)
			for {
				page = get(t, client, orderURL)
				status := regexp.MustCompile(`id="order-status" data-state="([a-z_]+)"`).FindStringSubmatch(page)
				if len(status) == 2 && status[1] == tt.want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("order page never showed %s:\n%s", tt.want, page)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, resp)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d\n%s", resp.Request.URL, resp.StatusCode, b)
	}
	return string(b)
}

// startTestDemo serves the demo shop for a test and returns its base URL
// and a client.
func startTestDemo(t *testing.T, o demoOptions) (string, *http.Client) {
	t.Helper()
	base, _ := serveTestDemo(t, o)
	return base, &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second}
}

// serveTestDemo serves the demo shop on its own SQLite file until the test
// ends and returns its base URL and the shop.
func serveTestDemo(t *testing.T, o demoOptions) (string, *shop.App) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	app, cleanup, err := startDemoWith(ctx, filepath.Join(t.TempDir(), "getpaid.db"), base, slog.New(slog.NewTextHandler(io.Discard, nil)), o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, ln, app.Handler, nil) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cleanup()
	})
	return base, app
}

var (
	stateRe   = regexp.MustCompile(`id="order-status" data-state="([a-z_]+)"`)
	hiddenRe  = regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)
	captureRe = regexp.MustCompile(`action="(/orders/[^"]+/capture)"`)
	releaseRe = regexp.MustCompile(`action="(/orders/[^"]+/release)"`)
	rejectRe  = regexp.MustCompile(`action="(/orders/[^"]+/reject_advance)"`)
	keyRe     = regexp.MustCompile(`name="key" value="([0-9a-f]+)"`)
)

// payOnDummy orders sku (or uses orderURL), pays it on the dummy paywall
// with outcome and returns the order page's URL.
func payOnDummy(t *testing.T, c *http.Client, base, orderURL, sku, outcome string) string {
	t.Helper()
	if orderURL == "" {
		resp, err := c.PostForm(base+"/orders", url.Values{"sku": {sku}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		orderURL = resp.Request.URL.String()
	}
	orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
	resp, err := c.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {"dummy"}})
	if err != nil {
		t.Fatal(err)
	}
	paywall := readAll(t, resp)
	fields := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(paywall, -1) {
		fields.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
	}
	fields.Set("outcome", outcome)
	resp, err = c.PostForm(base+"/payments/broker/dummy/choose", fields)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	return orderURL
}

// waitState reads the order page until it shows state, and returns it.
func waitState(t *testing.T, c *http.Client, orderURL, state string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		page := get(t, c, orderURL)
		if m := stateRe.FindStringSubmatch(page); len(m) == 2 && m[1] == state {
			return page
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order page never showed %s:\n%s", state, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The demo teaches partial payments and holds: it shows what is left to
// pay and pays only that; it captures or releases held funds; a paid order
// is refused on the payment form with the reason, before anything is
// submitted; an order no backend can take has a way back.
func TestDemoShopPartialAndHeld(t *testing.T) {
	t.Parallel()
	base, c := startTestDemo(t, demoOptions{confirmWait: time.Second})

	t.Run("partial, then the rest", func(t *testing.T) {
		t.Parallel()
		order := payOnDummy(t, c, base, "", "mug", "partially_paid")
		page := waitState(t, c, order, "partial")
		if !strings.Contains(page, `id="left">19.50 PLN<`) || !strings.Contains(page, "Pay the remaining 19.50 PLN") || strings.Contains(page, `http-equiv="refresh"`) {
			t.Fatalf("partial order page:\n%s", page)
		}
		orderID := order[strings.LastIndex(order, "/")+1:]
		if form := get(t, c, base+"/payments/pay/"+orderID); !strings.Contains(form, `id="amount">19.50 PLN<`) {
			t.Fatalf("the form does not ask for the rest:\n%s", form)
		}
		payOnDummy(t, c, base, order, "", "paid")
		waitState(t, c, order, "paid")
		resp, err := c.Get(base + "/payments/pay/" + orderID)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "this order is already paid") || strings.Contains(string(b), `name="backend"`) {
			t.Fatalf("form for a paid order: %d\n%s", resp.StatusCode, b)
		}
	})
	t.Run("held, then captured", func(t *testing.T) {
		t.Parallel()
		order := payOnDummy(t, c, base, "", "mug", "pre_auth")
		page := waitState(t, c, order, "held")
		capture, key := captureRe.FindStringSubmatch(page), keyRe.FindStringSubmatch(page)
		if capture == nil || key == nil || strings.Contains(page, `id="pay"`) {
			t.Fatalf("held order page offers no capture (or offers to pay again):\n%s", page)
		}
		resp, err := c.PostForm(base+capture[1], url.Values{"amount": {"39.00"}, "key": {key[1]}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		waitState(t, c, order, "paid")
		// The same form again (a double submit) captures nothing more.
		resp, err = c.PostForm(base+capture[1], url.Values{"amount": {"39.00"}, "key": {key[1]}})
		if err != nil {
			t.Fatal(err)
		}
		if page := readAll(t, resp); !strings.Contains(page, `data-state="paid"`) {
			t.Fatalf("after a repeated capture:\n%s", page)
		}
	})
	t.Run("held, then released", func(t *testing.T) {
		t.Parallel()
		order := payOnDummy(t, c, base, "", "tshirt", "pre_auth")
		page := waitState(t, c, order, "held")
		release := releaseRe.FindStringSubmatch(page)
		if release == nil {
			t.Fatalf("no release:\n%s", page)
		}
		resp, err := c.PostForm(base+release[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		page = waitState(t, c, order, "cancelled")
		if !strings.Contains(page, `id="pay"`) || strings.Contains(page, `http-equiv="refresh"`) {
			t.Fatalf("released order page:\n%s", page)
		}
	})
	t.Run("an advance rejected", func(t *testing.T) {
		t.Parallel()
		// Half paid at Przelewy24's simulator: an advance the shop
		// rejects. The buyer paid; the page must not say no money was
		// taken, but that the broker returns it.
		resp, err := c.PostForm(base+"/orders", url.Values{"sku": {"mug"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		order := resp.Request.URL.String()
		resp, err = c.PostForm(base+"/payments/pay/"+order[strings.LastIndex(order, "/")+1:], url.Values{"backend": {"przelewy24"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		resp, err = c.PostForm(resp.Request.URL.String(), url.Values{"outcome": {"partial"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		page := waitState(t, c, order, "advance")
		reject := rejectRe.FindStringSubmatch(page)
		if reject == nil {
			t.Fatalf("no reject:\n%s", page)
		}
		resp, err = c.PostForm(base+reject[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		page = waitState(t, c, order, "rejected")
		if strings.Contains(page, "No money was taken") || !strings.Contains(page, "returned to the buyer") || !strings.Contains(page, `id="pay"`) {
			t.Fatalf("order page after a rejected advance:\n%s", page)
		}
	})
	t.Run("a currency no backend takes", func(t *testing.T) {
		t.Parallel()
		resp, err := c.PostForm(base+"/orders", url.Values{"sku": {"pen"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		order := resp.Request.URL.String()
		form := get(t, c, base+"/payments/pay/"+order[strings.LastIndex(order, "/")+1:])
		if !strings.Contains(form, "No payment method here accepts KWD") || !strings.Contains(form, `href="`+order+`" id="back"`) {
			t.Fatalf("KWD form has no way back:\n%s", form)
		}
	})
}

// A --data that cannot be the demo's folder is refused naming the flag.
func TestDemoDataNotAFolder(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "demo", "--addr", "127.0.0.1:0", "--data", file)
	if code != 1 || !strings.Contains(errOut, "--data") || !strings.Contains(errOut, "a-file") {
		t.Fatalf("code %d, stderr %q; want exit status 1 naming --data", code, errOut)
	}
}

// A getpaid.db in --data that is no SQLite database is refused with advice a
// demo user can follow (the demo names the file itself: "name the database
// file", serve's advice, is not theirs to take), and the file is left as it
// was.
func TestDemoDataFileNotADatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "getpaid.db")
	const text = "notes, not a database\n"
	if err := os.WriteFile(db, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "demo", "--addr", "127.0.0.1:0", "--data", dir)
	if code != 1 || !strings.Contains(errOut, db+" is not a SQLite database") || !strings.Contains(errOut, "another --data folder") ||
		strings.Contains(errOut, "name the database file") {
		t.Fatalf("code %d, stderr %q; want exit status 1 advising another --data folder", code, errOut)
	}
	if b, err := os.ReadFile(db); err != nil || string(b) != text {
		t.Fatalf("the file now holds %q (%v)", b, err)
	}
}

// The redirects the demo's muxes answer themselves carry the headers every
// answer of getpaid carries: a path they clean (//orders), and the
// Transferuj simulator's form address without its trailing slash, which
// the demo's Transferuj form posts to (a 307 to /sim/transferuj/).
func TestDemoRedirectsCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	base, _ := serveTestDemo(t, demoOptions{})
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ method, path string }{
		{"GET", "//orders"},
		{"POST", "/sim/transferuj"},
		{"GET", "/payments//api/v1/backends"},
	} {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Cache-Control", "Content-Security-Policy"} {
			if resp.Header.Get(k) == "" {
				t.Errorf("%s %s (%d): no %s", tt.method, tt.path, resp.StatusCode, k)
			}
		}
	}
}

// "Check again" on the order page asks the broker and then shows what the
// shop knows after the answer: a broker that still says nothing leaves the
// page saying the payment was not confirmed, not "waiting" as if the check
// had not been made. A broker that cannot be asked (Transferuj's form has
// no status query) gets no "Check again" button at all.
func TestDemoCheckAgain(t *testing.T) {
	t.Parallel()
	base, c := startTestDemo(t, demoOptions{confirmWait: 2 * time.Second})
	checkRe := regexp.MustCompile(`action="(/orders/[^"]+/poll)"`)
	for _, tt := range []struct {
		backend   string
		wantCheck bool
	}{
		{"przelewy24", true},
		{"transferuj", false},
	} {
		t.Run(tt.backend, func(t *testing.T) {
			t.Parallel()
			resp, err := c.PostForm(base+"/orders", url.Values{"sku": {"mug"}})
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			orderURL := resp.Request.URL.String()
			orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
			// The buyer is sent to the broker and never comes back.
			resp, err = c.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {tt.backend}})
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			page := waitState(t, c, orderURL+"?waited=60", "not_confirmed")
			m := checkRe.FindStringSubmatch(page)
			if (m != nil) != tt.wantCheck || strings.Contains(page, "check again") != tt.wantCheck {
				t.Fatalf("Check again offered: %v; want %v:\n%s", m != nil, tt.wantCheck, page)
			}
			if m == nil {
				return
			}
			resp, err = c.PostForm(base+m[1], nil)
			if err != nil {
				t.Fatal(err)
			}
			page = readAll(t, resp)
			if s := stateRe.FindStringSubmatch(page); len(s) != 2 || s[1] != "not_confirmed" {
				t.Fatalf("after Check again (the broker knows of no payment) the page shows %v, want not_confirmed:\n%s", s, page)
			}
		})
	}
}

// A simulator's payment page visited again once the buyer has paid (the
// back button, a second tab) says the transaction no longer awaits
// payment, as PayU's does, instead of offering choices it then refuses
// with "Not possible: transaction is correct".
func TestDemoSimulatorPageAfterPayment(t *testing.T) {
	t.Parallel()
	base, c := startTestDemo(t, demoOptions{})
	for _, backend := range []string{"przelewy24", "tpay", "transferuj"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			resp, err := c.PostForm(base+"/orders", url.Values{"sku": {"mug"}})
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			orderURL := resp.Request.URL.String()
			orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
			resp, err = c.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {backend}})
			if err != nil {
				t.Fatal(err)
			}
			page := readAll(t, resp)
			if backend == "transferuj" { // an auto-submitted form to the simulator
				fields := url.Values{}
				for _, m := range regexp.MustCompile(`name="([a-z0-9_]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
					fields.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
				}
				action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(page)
				if action == nil {
					t.Fatalf("no form:\n%s", page)
				}
				if resp, err = c.PostForm(action[1]+"/", fields); err != nil {
					t.Fatal(err)
				}
				page = readAll(t, resp)
			}
			payPage := resp.Request.URL.String()
			if !strings.Contains(page, `id="pay"`) {
				t.Fatalf("payment page at %s:\n%s", payPage, page)
			}
			if resp, err = c.PostForm(payPage, url.Values{"outcome": {"paid"}}); err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			again := get(t, c, payPage)
			if strings.Contains(again, `id="pay"`) || !strings.Contains(again, "no longer awaiting payment") {
				t.Fatalf("the payment page, visited again after paying, still offers to pay:\n%s", again)
			}
		})
	}
}
