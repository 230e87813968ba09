package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/broker/transferuj/transferujtest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// callback check verifies a captured Tpay notification: the JWS's
// certificates are fetched over the network from under jws_prefix (here the
// simulator's), and the md5sum is checked.
func TestCallbackCheckTpay(t *testing.T) {
	t.Parallel()
	sim := tpaytest.Start(tpaytest.Config{})
	defer sim.Close()
	c := sim.Config()
	settings := fmt.Sprintf("database: \"memory:\"\nbase_url: https://pay.example.com\nbackends:\n  tpay:\n    client_id: %s\n    client_secret: %s\n    merchant_id: %d\n    security_code: %s\n    api_url: %s\n",
		c.ClientID, c.ClientSecret, c.MerchantID, c.SecurityCode, sim.URL())
	trusting := writeConfig(t, settings+"    jws_prefix: "+sim.URL()+"\n    timeout: 5s\n")
	production := writeConfig(t, settings) // trusts https://secure.tpay.com only

	// A transaction at the simulator and its notification, as Tpay sends it.
	b, err := tpay.New(tpay.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, MerchantID: c.MerchantID,
		SecurityCode: c.SecurityCode, APIURL: sim.URL(), JWSPrefix: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://pay.example.com", nil))
	p := &getpaid.Payment{ID: "pay_cli", Amount: getpaid.MustParseMoney("25.00", "PLN"), Buyer: getpaid.Buyer{Email: "a@b.pl"}}
	if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p}); err != nil {
		t.Fatal(err)
	}
	req, err := sim.Notification(p.ID, tpaynotify.StatusTrue, p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	header := tpay.SignatureHeader + ": " + req.Header.Get(tpay.SignatureHeader)
	body := string(req.Body)
	tests := []struct {
		name, config, body, header string
		code                       int
		out                        string
	}{
		{"valid", trusting, body, header, 0, "valid"},
		{"body tampered", trusting, strings.Replace(body, "tr_paid=25.00", "tr_paid=99.00", 1), header, 1, "invalid: tpay: callback signature invalid: JWS signature does not match"},
		{"no JWS", trusting, body, "X-Other: 1", 1, "invalid: tpay: callback signature invalid: missing X-JWS-Signature"},
		{"simulator not trusted", production, body, header, 1, "invalid: tpay: callback signature invalid: certificate URL"},
	}
	for _, tt := range tests {
		code, out, stderr := runCLI(t, tt.body, "callback", "check", "--config", tt.config, "--backend", "tpay", "--header", tt.header)
		if code != tt.code || !strings.HasPrefix(out, tt.out) {
			t.Errorf("%s: code %d out %q err %q; want %d %q", tt.name, code, out, stderr, tt.code, tt.out)
		}
	}
	if code, out, _ := runCLI(t, body, "callback", "check", "--config", trusting, "--backend", "tpay", "--header", header); code != 0 ||
		!strings.Contains(out, "payment: pay_cli") || !strings.Contains(out, "25.00 PLN") {
		t.Fatalf("valid output %q", out)
	}
}

// The legacy notification is checked with the md5sum (the published vector)
// and the JWS over the whole body when it carries one (the simulator's,
// trusted as jws_prefix): an edit the md5sum does not see (tr_status) is
// refused too. Without one it passes on its md5sum, unless require_jws.
func TestCallbackCheckTransferuj(t *testing.T) {
	t.Parallel()
	sim := transferujtest.Start(transferujtest.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	defer sim.Close()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  transferuj:\n    merchant_id: 1234\n    security_code: AAAAAAAA\n    jws_prefix: "+sim.URL()+"\n")
	body := "id=1234&tr_id=1&tr_date=2012-12-12+12%3A12%3A12&tr_crc=1&tr_amount=123.45&tr_paid=1.00&tr_desc=x&tr_status=FALSE&tr_error=surcharge&tr_email=a%40b.pl&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"
	req, err := sim.Signed([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	header := tpaynotify.SignatureHeader + ": " + req.Header.Get(tpaynotify.SignatureHeader)
	tests := []struct {
		name, body, header, ip string
		code                   int
		out                    string
	}{
		{"valid", body, header, "", 0, "valid"},
		{"valid from any address (allowlist off)", body, header, "203.0.113.1", 0, "valid"},
		{"tr_amount edited", strings.Replace(body, "tr_amount=123.45", "tr_amount=923.45", 1), header, "", 1, "invalid: transferuj: callback signature invalid: md5sum"},
		{"tr_status edited", strings.NewReplacer("tr_status=FALSE", "tr_status=TRUE", "tr_paid=1.00", "tr_paid=123.45").Replace(body), header, "", 1,
			"invalid: transferuj: callback signature invalid: JWS signature does not match"},
		{"no JWS: the md5sum alone, as Transferuj signed them", body, "X-Other: 1", "", 0, "valid"},
	}
	for _, tt := range tests {
		args := []string{"callback", "check", "--config", path, "--backend", "transferuj", "--header", tt.header}
		if tt.ip != "" {
			args = append(args, "--remote-ip", tt.ip)
		}
		code, out, stderr := runCLI(t, tt.body, args...)
		if code != tt.code || !strings.HasPrefix(out, tt.out) {
			t.Errorf("%s: code %d out %q err %q; want %d %q", tt.name, code, out, stderr, tt.code, tt.out)
		}
	}
	strict := writeConfig(t, "database: \"memory:\"\nbackends:\n  transferuj:\n    merchant_id: 1234\n    security_code: AAAAAAAA\n    require_jws: true\n    jws_prefix: "+sim.URL()+"\n")
	if code, out, stderr := runCLI(t, body, "callback", "check", "--config", strict, "--backend", "transferuj", "--header", "X-Other: 1"); code != 1 ||
		!strings.HasPrefix(out, "invalid: transferuj: callback signature invalid: missing X-JWS-Signature") {
		t.Errorf("require_jws, no JWS: code %d out %q err %q; want it invalid", code, out, stderr)
	}
	if code, out, stderr := runCLI(t, body, "callback", "check", "--config", strict, "--backend", "transferuj", "--header", header); code != 0 || !strings.HasPrefix(out, "valid") {
		t.Errorf("require_jws, the JWS: code %d out %q err %q; want it valid", code, out, stderr)
	}
}

func TestConfigCommandTpay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, want string }{
		{"tpay", "https://pay.example.com/callback/tpay"},
		{"tpay", "https://secure.tpay.com/x509/tpay-jws-root.pem"},
		{"transferuj", "https://pay.example.com/callback/transferuj"},
	} {
		code, out, stderr := runCLI(t, "", "config", tt.name, "--base-url", "https://pay.example.com")
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Fatalf("%s: code %d out %q err %q", tt.name, code, out, stderr)
		}
	}
	code, out, _ := runCLI(t, "", "backends")
	if code != 0 || !strings.Contains(out, "tpay") || !strings.Contains(out, "transferuj") {
		t.Fatalf("backends: %q", out)
	}
}

// getpaid simulate tpay (and transferuj) serves the API (the form) and its
// certificates and prints the settings that point a backend at it,
// jws_prefix included.
func TestSimulateTpay(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"tpay", "transferuj"} {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- cmdSimulate(ctx, []string{name, "--addr", "127.0.0.1:0"}, out, io.Discard) }()
		re := regexp.MustCompile(`api_url: (http://\S+)`)
		deadline := time.Now().Add(10 * time.Second)
		var url string
		for url == "" {
			// The settings are printed line by line: read once the last
			// one (security_code) is out.
			if m := re.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "security_code: ") {
				url = m[1]
			} else if time.Now().After(deadline) {
				t.Fatalf("%s: no api_url in %q", name, out.String())
			} else {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if !strings.Contains(out.String(), "jws_prefix: "+url) || !strings.Contains(out.String(), "security_code: ") {
			t.Fatalf("%s: settings printed: %q", name, out.String())
		}
		probe := url + tpay.RootCertPath
		resp, err := http.Get(probe)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", probe, resp.Status)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// The demo offers Tpay and Transferuj next to the others, pointed at their
// simulators: a payment registers and reaches the buyer's page.
func TestDemoSimulatorsTpay(t *testing.T) {
	t.Parallel()
	reg, simURL := demoRegistry(t)
	for _, name := range []string{"tpay", "transferuj", "payu", "przelewy24"} {
		b, ok := reg.Get(name)
		if !ok {
			t.Fatalf("demo lacks %s (has %v)", name, reg.Names())
		}
		if name != "tpay" && name != "transferuj" {
			continue
		}
		p := &getpaid.Payment{ID: getpaid.NewID("pay"), Amount: getpaid.MustParseMoney("9.99", "PLN"), Description: "demo",
			Buyer: getpaid.Buyer{Email: "a@b.pl"}}
		res, err := b.Broker.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(res.Redirect.URL, simURL+"/sim/"+name) {
			t.Fatalf("%s: the buyer goes to %s, not the simulator", name, res.Redirect.URL)
		}
	}
}

// getpaid serve warns, at start, of a transferuj backend taking
// notifications without a JWS (the default: the legacy notification is
// signed by its md5sum alone), and says what to set; with require_jws it
// says nothing.
func TestServeWarnsOfTransferujWithoutJWS(t *testing.T) {
	t.Parallel()
	for _, require := range []bool{false, true} {
		t.Run(fmt.Sprint("require_jws=", require), func(t *testing.T) {
			t.Parallel()
			ln := listen(t, "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: \"memory:\"\napi_keys: [%s]\nbackends:\n  transferuj:\n    merchant_id: 1234\n    security_code: AAAAAAAA\n    require_jws: %v\n",
				addr, testAPIKey, require))
			stderr := serveUntilItAnswers(t, addr, path)
			if warned := strings.Contains(stderr, "set require_jws: true"); warned == require {
				t.Fatalf("require_jws %v: warned %v:\n%s", require, warned, stderr)
			}
		})
	}
}
