package tpaytest_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

var pki = sync.OnceValues(tpaytest.NewPKI)

func start(t *testing.T, cfg tpaytest.Config) *tpaytest.Server {
	t.Helper()
	p, err := pki()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PKI = p
	cfg.NotifyBackoff = 5 * time.Millisecond
	s := tpaytest.Start(cfg)
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, method, u, token, ct string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func token(t *testing.T, s *tpaytest.Server) string {
	t.Helper()
	c := s.Config()
	code, v := do(t, http.MethodPost, s.URL()+"/oauth/auth", "", "application/json",
		`{"client_id":"`+c.ClientID+`","client_secret":"`+c.ClientSecret+`","scope":"read"}`)
	if code != 200 || v["token_type"] != "Bearer" || v["expires_in"] != float64(7200) {
		t.Fatalf("oauth: %d %v", code, v)
	}
	return v["access_token"].(string)
}

// The simulator refuses what Tpay refuses.
func TestAPIRefusals(t *testing.T) {
	t.Parallel()
	s := start(t, tpaytest.Config{})
	if code, _ := do(t, http.MethodPost, s.URL()+"/oauth/auth", "", "application/x-www-form-urlencoded", "client_id=x&client_secret=y"); code != 401 {
		t.Fatalf("wrong credentials: %d", code)
	}
	tok := token(t, s)
	create := func(body string) int {
		code, _ := do(t, http.MethodPost, s.URL()+"/transactions", tok, "application/json", body)
		return code
	}
	valid := `{"amount":10.5,"description":"d","hiddenDescription":"pay_1","payer":{"email":"a@b.pl","name":"A"}}`
	if code := create(valid); code != 200 {
		t.Fatalf("valid transaction: %d", code)
	}
	for name, body := range map[string]string{
		"three decimals": strings.Replace(valid, "10.5", "10.005", 1),
		"zero":           strings.Replace(valid, "10.5", "0", 1),
		"negative":       strings.Replace(valid, "10.5", "-1", 1),
		"no email":       strings.Replace(valid, "a@b.pl", "", 1),
		"no name":        strings.Replace(valid, `"name":"A"`, `"name":""`, 1),
		"no description": strings.Replace(valid, `"description":"d"`, `"description":""`, 1),
		"other currency": strings.Replace(valid, `"amount"`, `"currency":"EUR","amount"`, 1),
		"not JSON":       "amount=1",
	} {
		if code := create(body); code != 400 {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if code, _ := do(t, http.MethodPost, s.URL()+"/transactions", "nope", "application/json", valid); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	_, tx := do(t, http.MethodPost, s.URL()+"/transactions", tok, "application/json", valid)
	id := tx["transactionId"].(string)
	if code, _ := do(t, http.MethodPost, s.URL()+"/transactions/"+id+"/refunds", tok, "application/json", "{}"); code != 400 {
		t.Fatalf("refund of a pending transaction: %d", code)
	}
	if code, _ := do(t, http.MethodGet, s.URL()+"/transactions/ta_unknown", tok, "", ""); code != 404 {
		t.Fatalf("unknown transaction: %d", code)
	}
}

// Notifications are sent again until the shop answers exactly TRUE; the
// JWS's certificate chains to the root the simulator serves.
func TestNotificationsUntilTRUE(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var got []byte
	var sig string
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 3 {
			got, _ = io.ReadAll(r.Body)
			sig = r.Header.Get(tpay.SignatureHeader)
		}
		switch n {
		case 1:
			_, _ = w.Write([]byte("OK"))
		case 2:
			http.Error(w, "TRUE", http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte("TRUE\n"))
		}
	}))
	defer shop.Close()
	s := start(t, tpaytest.Config{})
	tok := token(t, s)
	_, tx := do(t, http.MethodPost, s.URL()+"/transactions", tok, "application/json",
		`{"amount":1,"description":"d","hiddenDescription":"pay_1","payer":{"email":"a@b.pl","name":"A"},"callbacks":{"notification":{"url":"`+shop.URL+`"}}}`)
	resp, err := brokerhttp.Client(nil, 0, 0).PostForm(tx["transactionPaymentUrl"].(string), url.Values{"outcome": {tpaytest.OutcomePaid}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Quiet(ctx); err != nil {
		t.Fatal(err)
	}
	d := s.Notifications()
	if len(d) != 3 || d[0].Acked() || d[1].Acked() || !d[2].Acked() {
		t.Fatalf("deliveries %+v", d)
	}
	if !bytes.Contains(got, []byte("tr_status=TRUE")) || sig == "" {
		t.Fatalf("notification %q, JWS %q", got, sig)
	}
	rootPEM := fetch(t, s.URL()+tpay.RootCertPath)
	leafPEM := fetch(t, s.URL()+tpaytest.CertPath)
	root, leaf := parse(t, rootPEM), parse(t, leafPEM)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("served certificate does not chain to the served root: %v", err)
	}
}

func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func parse(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(p)
	if block == nil {
		t.Fatalf("no PEM in %q", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOAuthRequestForms: Tpay's /oauth/auth takes the client credentials
// form-encoded (docs-api.tpay.com/first-steps/authorization), as JSON (its
// PHP SDK) and as HTTP Basic with no body (its Postman collection,
// tpay-com/tpay-open-api-postman-collection "Check authorization").
func TestOAuthRequestForms(t *testing.T) {
	t.Parallel()
	s := start(t, tpaytest.Config{})
	c := s.Config()
	for _, tc := range []struct {
		name, ct, body, user, pass string
		want                       int
	}{
		{"form", "application/x-www-form-urlencoded", "client_id=" + url.QueryEscape(c.ClientID) + "&client_secret=" + url.QueryEscape(c.ClientSecret), "", "", 200},
		{"json", "application/json", `{"client_id":"` + c.ClientID + `","client_secret":"` + c.ClientSecret + `","scope":"read"}`, "", "", 200},
		{"basic", "", "", c.ClientID, c.ClientSecret, 200},
		{"basic, wrong secret", "", "", c.ClientID, "nope", 401},
		{"nothing", "", "", "", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/oauth/auth", strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			if resp.StatusCode != tc.want || (tc.want == 200 && (v["access_token"] == "" || v["token_type"] != "Bearer")) {
				t.Fatalf("%d %v", resp.StatusCode, v)
			}
		})
	}
}
