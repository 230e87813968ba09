package admin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/getpaid-go/getpaid"
)

// findBrowser returns a headless-capable Chromium, or "" when none is
// installed: $GETPAID_CHROME, then Debian's and the usual names.
func findBrowser() string {
	if p := os.Getenv("GETPAID_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, or skips the
// test when there is none.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		t.Skip("no Chromium found (install Debian's chromium, or set GETPAID_CHROME): browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915), // a phone
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// run runs browser actions or fails the test, saying which step failed.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// get runs one browser action that reads a value, or fails the test.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// text is the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return get(t, ctx, "read #"+id, chromedp.Text(chromedp.ID(id)))
}

// screenshot saves the page as name.png into $GETPAID_SCREENSHOTS, if set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("GETPAID_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// TestBrowserRefund drives the console as an operator would, in a real
// browser: sign in, find a paid payment by its order id, refund part of it
// through the form and its confirmation step, see the new status and the
// history row, sign out. Then a form posted without its CSRF token is
// refused, and five wrong passwords slow the next sign-in down.
func TestBrowserRefund(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	// Frozen: five wrong passwords must still be slowing sign-ins down when
	// the sixth try comes, however slow the browser is.
	e := newEnv(t, nil, false, frozen)
	p := e.pay("o-browser-1", "10.00", "paid", getpaid.StatusPaid)
	other := e.pay("o-browser-2", "7.50", "paid", getpaid.StatusPaid)
	base := e.srv.URL + "/admin"

	run(t, ctx, "sign in",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("filters")),
	)
	screenshot(t, ctx, "list")
	link := `a[href="/admin/payments/` + p.ID + `"]`
	otherLink := `a[href="/admin/payments/` + other.ID + `"]`
	run(t, ctx, "find the payment by its order id",
		chromedp.WaitVisible(chromedp.CSS(otherLink)),
		chromedp.SendKeys(chromedp.ID("order_id"), "o-browser-1"),
		chromedp.Click(chromedp.ID("search")),
		// Both payments are on the unfiltered list: wait for the search's
		// answer (the other one gone), not for a link the old page has.
		chromedp.WaitNotPresent(chromedp.CSS(otherLink)),
		chromedp.WaitVisible(chromedp.CSS(link)),
	)
	if rows := get(t, ctx, "count rows", chromedp.Evaluate[int](`document.querySelectorAll("#payments tbody tr").length`)); rows != 1 {
		t.Fatalf("the order's search lists %d rows, want 1", rows)
	}
	run(t, ctx, "open it", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.ID("refund-button")))
	screenshot(t, ctx, "payment")
	// Measured once the page has loaded with its stylesheet: before, the
	// unstyled page is as wide as its longest line (it failed so, once,
	// on a loaded machine).
	run(t, ctx, "wait for the page's stylesheet", chromedp.Poll[chromedp.Void](`document.readyState === "complete"`))
	if w := get(t, ctx, "measure the page", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
		t.Errorf("the payment page is %d px wider than a phone's screen", w)
	}
	run(t, ctx, "ask for a refund of 4.00",
		chromedp.SetValue(chromedp.ID("refund-amount"), "4.00"),
		chromedp.Click(chromedp.ID("refund-button")),
		chromedp.WaitVisible(chromedp.ID("confirm-button")),
	)
	if question := get(t, ctx, "read the question", chromedp.Text(chromedp.CSS(".question"))); !strings.Contains(question, "4.00 PLN") {
		t.Fatalf("the confirmation asks %q, want it to name 4.00 PLN", question)
	}
	screenshot(t, ctx, "confirm")
	run(t, ctx, "confirm it",
		chromedp.Click(chromedp.ID("confirm-button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if status := text(t, ctx, "status"); status != "partially_refunded" {
		t.Errorf("status after the refund = %q, want partially_refunded", status)
	}
	if history := text(t, ctx, "history"); !strings.Contains(history, "refund_started") || !strings.Contains(history, "partially_refunded") {
		t.Errorf("history lacks the refund rows:\n%s", history)
	}
	if notice := get(t, ctx, "read the notice", chromedp.Text(chromedp.CSS(".notice"))); !strings.Contains(notice, "Refund asked") {
		t.Errorf("notice = %q", notice)
	}
	screenshot(t, ctx, "refunded")
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Refunded != 400 || q.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("stored payment: %s, refunded %d; want partially_refunded, 400", q.Status, q.Refunded)
	}

	run(t, ctx, "post a form without its CSRF token",
		chromedp.Navigate(base+"/payments/"+other.ID),
		chromedp.WaitVisible(chromedp.ID("refund-button")),
	)
	get(t, ctx, "remove the token", chromedp.Evaluate[bool](`document.querySelector("#action-refund input[name=csrf]").remove(), true`))
	run(t, ctx, "submit", chromedp.Click(chromedp.ID("refund-button")), chromedp.WaitVisible(chromedp.CSS(".error")))
	if refused := get(t, ctx, "read the refusal", chromedp.Text(chromedp.CSS(".error"))); !strings.Contains(refused, "security token") {
		t.Errorf("a form without its token shows %q", refused)
	}
	if q, _ := e.eng.Payment(context.Background(), other.ID); q.Status != getpaid.StatusPaid {
		t.Errorf("the refused form changed the payment: %s", q.Status)
	}

	run(t, ctx, "sign out",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Navigate(base+"/payments/"+p.ID),
		chromedp.WaitVisible(chromedp.ID("signin")),
	)

	signIn := func(pw string) string {
		t.Helper()
		run(t, ctx, "sign in",
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.ID("signin")),
			chromedp.SendKeys(chromedp.ID("name"), "alice"),
			chromedp.SendKeys(chromedp.ID("password"), pw),
			chromedp.Click(chromedp.ID("signin")),
			chromedp.WaitVisible(chromedp.CSS(".error")),
		)
		return get(t, ctx, "read the answer", chromedp.Text(chromedp.CSS(".error")))
	}
	for i := range 5 {
		if msg := signIn("not the password"); !strings.Contains(msg, "Wrong name or password") {
			t.Fatalf("wrong password %d: %q", i+1, msg)
		}
	}
	if msg := signIn(password); !strings.Contains(msg, "Too many failed sign-ins") {
		t.Errorf("after five wrong passwords the sign-in says %q, want it slowed down", msg)
	}
}
