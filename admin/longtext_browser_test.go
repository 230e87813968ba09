package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/getpaid-go/getpaid"
)

// TestLongTextsFitAPhone: a payment whose order id (up to 128 characters),
// description (up to 1,024) or buyer's e-mail is one long word, as a URL
// or a generated reference is, made its page wider than a phone's screen:
// the cards' values did not wrap. They break anywhere now, as the return
// page and the broker's URL did.
func TestLongTextsFitAPhone(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	e := newEnv(t, nil, false)
	long := strings.Repeat("x", 120)
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-" + long, Backend: "dummy",
		Amount:      getpaid.MustParseMoney("10.00", "PLN"),
		Description: "https://shop.example/" + strings.Repeat("y", 300),
		Buyer:       getpaid.Buyer{Email: strings.Repeat("z", 60) + "@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	base := e.srv.URL + "/admin"
	run(t, ctx, "sign in and open the payment",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("filters")),
		chromedp.Navigate(base+"/payments/"+p.ID),
		chromedp.WaitVisible(chromedp.ID("amounts")),
		chromedp.Poll[chromedp.Void](`document.readyState === "complete"`),
	)
	screenshot(t, ctx, "long-texts")
	if w := get(t, ctx, "measure the page", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
		t.Errorf("the payment page is %d px wider than a phone's screen", w)
	}
	run(t, ctx, "ask to cancel it", chromedp.Click(chromedp.ID("cancel-button")), chromedp.WaitVisible(chromedp.ID("confirm-button")))
	if w := get(t, ctx, "measure the confirmation", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
		t.Errorf("the confirmation page is %d px wider than a phone's screen", w)
	}
	run(t, ctx, "list the order's payments", chromedp.Navigate(base+"/?order_id=o-"+long), chromedp.WaitVisible(chromedp.ID("payments")))
	if w := get(t, ctx, "measure the list", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
		t.Errorf("the list is %d px wider than a phone's screen", w)
	}
}
