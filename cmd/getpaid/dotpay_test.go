package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// dotpayVectorURLC is brokers.md §4.6's URLC (shop 123, PIN 123), as Dotpay
// POSTs it.
const dotpayVectorURLC = "id=123&operation_number=MI-5&operation_type=payment&operation_status=completed" +
	"&operation_amount=212.35&operation_currency=PLN&operation_original_amount=58.07&operation_original_currency=USD" +
	"&operation_datetime=2018-02-28+12%3A00%3A00&control=1&description=Order+%231&email=user%40example.org" +
	"&p_info=John+Doe+%28seller%40example.com%29&p_email=seller%40example.com&channel=1" +
	"&signature=2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221"

func TestCallbackCheckDotpay(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dotpay_usd:\n    kind: dotpay\n    shop_id: 123\n    pin: \"123\"\n    currencies: [USD, PLN]\n")
	// Signed correctly, but with a status getpaid does not know.
	fields, _ := url.ParseQuery(dotpayVectorURLC)
	f := map[string]string{}
	for k := range fields {
		f[k] = fields.Get(k)
	}
	f["operation_status"] = "lost"
	delete(f, "signature")
	unknown := url.Values{}
	for k, v := range f {
		unknown.Set(k, v)
	}
	unknown.Set("signature", dotpay.Signature("123", f))
	tests := []struct {
		name, body string
		args       []string
		code       int
		out        string
	}{
		{"vector", dotpayVectorURLC, nil, 0, "valid"},
		{"from Dotpay's address", dotpayVectorURLC, []string{"--remote-ip", "195.150.9.37"}, 0, "valid"},
		{"from elsewhere", dotpayVectorURLC, []string{"--remote-ip", "203.0.113.9"}, 1, "invalid: 203.0.113.9 is not an address"},
		{"tampered amount", strings.Replace(dotpayVectorURLC, "58.07", "68.07", 1), nil, 1, "invalid: dotpay: callback signature invalid"},
		{"signed without the PIN", strings.Replace(dotpayVectorURLC, "2970746ecb6b12bdf21ed98ebb6b251fa27bd68b99ce745c67348781cbf31221",
			dotpay.Signature("", f), 1), nil, 1, "invalid: dotpay: callback signature invalid"},
		{"signature right, status unknown", unknown.Encode(), nil, 0, "valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"callback", "check", "--config", path, "--backend", "dotpay_usd"}, tt.args...)
			code, out, stderr := runCLI(t, tt.body, args...)
			if code != tt.code || !strings.HasPrefix(out, tt.out) {
				t.Fatalf("code %d out %q err %q; want %d %q", code, out, stderr, tt.code, tt.out)
			}
			if tt.code == 0 && (!strings.Contains(out, "payment: 1") || !strings.Contains(out, "58.07 USD")) {
				t.Fatalf("out %q", out)
			}
			// A status getpaid does not know is acknowledged, and the
			// check says so.
			if unknownStatus := strings.Contains(out, "MI-5:lost"); tt.code == 0 &&
				(unknownStatus != strings.Contains(out, "getpaid does not know this status") || !unknownStatus && !strings.Contains(out, "MI-5:completed")) {
				t.Fatalf("out %q", out)
			}
		})
	}
}

func TestConfigCommandDotpay(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, "", "config", "dotpay", "--base-url", "https://pay.example.com")
	if code != 0 || !strings.Contains(out, "https://pay.example.com/callback/dotpay") || !strings.Contains(out, "195.150.9.37") {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dotpay:\n    shop_id: \"700001\"\n    pin: s3cr3t\n    api_username: me\n    api_password: pw\n")
	code, out, _ = runCLI(t, "", "config", "dotpay", "--base-url", "https://pay.example.com", "--config", path)
	if code != 0 || !strings.Contains(out, "700001") || strings.Contains(out, "s3cr3t") || !strings.Contains(out, "panel user me") {
		t.Fatalf("with config: code %d out %q", code, out)
	}
	code, out, _ = runCLI(t, "", "backends")
	if code != 0 || !regexp.MustCompile(`dotpay\s+PLN EUR USD GBP JPY CZK SEK UAH RON\s+Dotpay`).MatchString(out) {
		t.Fatalf("backends: %q", out)
	}
}

func TestDotpaySettingsRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ settings, want string }{
		{"shop_id: 1\n    pin: p\n    api_version: v9\n", "api_version"},
		{"shop_id: 1\n    pin: p\n    timeout: 30\n", `backends.dotpay.timeout: "30": want a duration`},
		{"shop_id: 1\n    pin: p\n    methd: POST\n", "methd"},
		{"pin: p\n", "shop_id is required"},
	} {
		path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dotpay:\n    "+tt.settings)
		if code, _, stderr := runCLI(t, "", "backends", "--config", path); code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: code %d stderr %q", tt.settings, code, stderr)
		}
	}
}

// getpaid simulate dotpay serves the payment form and the seller API with
// the settings it prints.
func TestSimulateDotpay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- cmdSimulate(ctx, []string{"dotpay", "--addr", "127.0.0.1:0"}, &out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var base string
	deadline := time.Now().Add(5 * time.Second)
	for base == "" {
		if m := regexp.MustCompile(`api_url: (http://\S+)`).FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no api_url printed: %q", out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, want := range []string{"shop_id: 700001", "pin: DemoPin0123456789", "sandbox: true", "api_username: demo-seller"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("settings lack %q: %s", want, out.String())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/test_seller/api/v1/operations/", nil)
	req.SetBasicAuth("demo-seller", "demo-seller-password")
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seller API: %s", resp.Status)
	}
}

// The demo shop offers Dotpay, pointed at its simulator: an order paid on
// the simulator's page is paid in the shop once the URLC arrives.
func TestDemoShopDotpay(t *testing.T) {
	t.Parallel()
	base, client := startTestDemo(t, demoOptions{})
	resp, err := client.PostForm(base+"/orders", url.Values{"sku": {"mug"}})
	if err != nil {
		t.Fatal(err)
	}
	orderURL := resp.Request.URL.String()
	readAll(t, resp)
	orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
	if form := get(t, client, base+"/payments/pay/"+orderID); !strings.Contains(form, `value="dotpay"`) {
		t.Fatalf("payment form lacks Dotpay:\n%s", form)
	}
	// Choosing Dotpay sends the buyer, by the signed link, to the
	// simulator's payment page.
	resp, err = client.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {"dotpay"}})
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	if !strings.Contains(resp.Request.URL.Path, "/sim/dotpay/test_payment/session/") || !strings.Contains(page, "Dotpay</strong>") {
		t.Fatalf("payment page at %s:\n%s", resp.Request.URL, page)
	}
	resp, err = client.PostForm(resp.Request.URL.String(), url.Values{"outcome": {"paid"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.Request.URL.String() != orderURL {
		t.Fatalf("buyer landed on %s, want %s", resp.Request.URL, orderURL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		status := regexp.MustCompile(`id="order-status" data-state="([a-z_]+)"`).FindStringSubmatch(get(t, client, orderURL))
		if len(status) == 2 && status[1] == "paid" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order never paid: %v", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// callback check finds the payment of a refund URLC that names only
// getpaid's operation (control op_..., no operation_related_number), as
// the server does, instead of calling it an unknown payment.
func TestCallbackCheckDotpayRefundByOperation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := dotpaytest.Start(dotpaytest.Config{RefundDelay: time.Hour, RetryDelay: time.Millisecond, MaxAttempts: 1})
	t.Cleanup(sim.Close)
	sc := sim.Config()
	path := writeConfig(t, fmt.Sprintf("database: sqlite:%s\nbackends:\n  dotpay:\n    shop_id: %q\n    pin: %q\n    api_url: %s\n    api_username: %q\n    api_password: %q\n    ip_allowlist: false\n",
		filepath.Join(t.TempDir(), "g.db"), sc.ShopID, sc.PIN, sim.URL(), sc.APIUsername, sc.APIPassword))
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := buildServer(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	amount := getpaid.MustParseMoney("20.00", "PLN")
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "dotpay", Amount: amount, Description: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay(ctx, p.Redirect, dotpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	paid, err := sim.Notification(p.ID, "completed", amount)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.engine.HandleCallback(ctx, "dotpay", paid); err != nil {
		t.Fatal(err)
	}
	five := getpaid.MustParseMoney("5.00", "PLN")
	res, err := srv.engine.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "r1"})
	if err != nil || res.Operation == nil {
		t.Fatalf("refund: %+v %v", res, err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	ops := sim.Operations(res.Operation.ID)
	if len(ops) != 1 {
		t.Fatalf("simulator's operations under %s: %+v", res.Operation.ID, ops)
	}
	f := map[string]string{
		"id": sc.ShopID, "operation_number": ops[0].Number, "operation_type": "refund", "operation_status": "completed",
		"operation_amount": "5.00", "operation_currency": "PLN", "operation_original_amount": "5.00",
		"operation_original_currency": "PLN", "operation_datetime": "2026-01-02 10:00:00", "control": res.Operation.ID,
	}
	body := url.Values{}
	for k, v := range f {
		body.Set(k, v)
	}
	body.Set("signature", dotpay.Signature(sc.PIN, f))
	code, out, stderr := runCLI(t, body.Encode(), "callback", "check", "--config", path, "--backend", "dotpay")
	if code != 0 || !strings.Contains(out, "found: payment "+p.ID) {
		t.Fatalf("code %d out %q err %q; want the payment found through its refund", code, out, stderr)
	}
}
