package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "getpaid.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const dummyConfig = `listen: 127.0.0.1:0
base_url: https://pay.example.com
database: "memory:"
api_keys: [server-api-key-0123456789]
trusted_proxies: [10.0.0.0/8, 192.0.2.1]
backends:
  dummy:
    secret: s3cret
    currencies: [PLN, KWD]
`

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		env        []string
		wantErr    string
		check      func(t *testing.T, c *fileConfig)
	}{
		{"full", dummyConfig, nil, "", func(t *testing.T, c *fileConfig) {
			if c.BaseURL != "https://pay.example.com" || len(c.APIKeys) != 1 || len(c.TrustedProxies) != 2 {
				t.Fatalf("%+v", c)
			}
		}},
		{"unknown top-level key", dummyConfig + "colour: blue\n", nil, "colour", nil},
		{"no database", "backends:\n  dummy:\n    secret: x\n", nil, "database", nil},
		{"no backends", "database: \"memory:\"\n", nil, "no backends", nil},
		{"env value null is a string", dummyConfig, []string{"GETPAID_BACKEND_DUMMY_SECRET=null"}, "", func(t *testing.T, c *fileConfig) {
			var cfg dummy.Config
			if err := decodeSettings("dummy", c.Backends["dummy"], &cfg); err != nil || cfg.Secret != "null" {
				t.Fatalf("secret %q, %v", cfg.Secret, err)
			}
		}},
		{"env overrides secrets", dummyConfig, []string{"GETPAID_API_KEYS=k1-0123456789abcdef,k2-0123456789abcdef", "GETPAID_BACKEND_DUMMY_SECRET=from-env"}, "", func(t *testing.T, c *fileConfig) {
			if len(c.APIKeys) != 2 {
				t.Fatalf("api keys %v", c.APIKeys)
			}
			var cfg dummy.Config
			if err := decodeSettings("dummy", c.Backends["dummy"], &cfg); err != nil || cfg.Secret != "from-env" {
				t.Fatalf("secret %q, %v", cfg.Secret, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(tt.yaml), tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestUnknownBackendSettingRefused(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: x\n    secrte: typo\n")
	code, _, stderr := runCLI(t, "", "backends", "--config", path)
	if code == 0 || !strings.Contains(stderr, "secrte") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

// getpaid backends without --config lists every kind as a table whose
// header stands over its columns, as it does with a config.
func TestBackendsWithoutConfigIsATable(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, "", "backends")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	var header, row string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "NAME"):
			header = l
		case strings.HasPrefix(l, "payu "):
			row = l
		}
	}
	if header == "" || row == "" {
		t.Fatalf("no header or payu row in:\n%s", out)
	}
	for _, col := range []struct{ head, cell string }{{"CURRENCIES", "BGN"}, {"TITLE", "PayU"}} {
		if h, c := strings.Index(header, col.head), strings.LastIndex(row, col.cell); h != c {
			t.Errorf("column %s starts at %d in the header, its cell %q at %d:\n%s", col.head, h, col.cell, c, out)
		}
	}
	if strings.Contains(header, "KIND") {
		t.Errorf("header names a KIND column the rows leave empty:\n%s", out)
	}
}

func TestCallbackCheck(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	body, sig := dummy.EncodeCallback("s3cret", dummy.Callback{PaymentID: "pay_1", EventID: "e1", Status: "paid", Amount: "1.005", Currency: "KWD"})
	tests := []struct {
		name, body string
		headers    []string
		code       int
		out        string
	}{
		{"valid", string(body), []string{"Dummy-Signature: " + sig}, 0, "valid"},
		{"wrong signature", string(body), []string{"Dummy-Signature: " + dummy.Sign("other", body)}, 1, "invalid: dummy: callback signature invalid"},
		{"missing signature", string(body), nil, 1, "invalid: dummy: callback signature invalid: missing Dummy-Signature"},
		{"tampered body", strings.Replace(string(body), "1.005", "9.005", 1), []string{"Dummy-Signature: " + sig}, 1, "invalid:"},
		{"malformed body", "{", []string{"Dummy-Signature: " + dummy.Sign("s3cret", []byte("{"))}, 1, "invalid: the signature is valid, but getpaid would refuse the body: dummy: malformed callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"callback", "check", "--config", path, "--backend", "dummy"}
			for _, h := range tt.headers {
				args = append(args, "--header", h)
			}
			code, out, _ := runCLI(t, tt.body, args...)
			if code != tt.code || !strings.HasPrefix(out, tt.out) {
				t.Fatalf("code %d out %q; want %d %q", code, out, tt.code, tt.out)
			}
		})
	}
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, "", "config", "dummy", "--base-url", "https://shop.example/payments/")
	if code != 0 || !strings.Contains(out, "https://shop.example/payments/callback/dummy") {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
	if code, _, _ := runCLI(t, "", "config", "dummy"); code == 0 {
		t.Fatal("missing --base-url accepted")
	}
	if code, _, _ := runCLI(t, "", "config", "nope", "--base-url", "https://x.example"); code == 0 {
		t.Fatal("unknown backend accepted")
	}
}

func TestBackendsCommand(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	code, out, stderr := runCLI(t, "", "backends", "--config", path)
	if code != 0 || !strings.Contains(out, "dummy") || !strings.Contains(out, "KWD PLN") {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
}

// payWithServer builds the server of the config at path, creates a 12.34
// PLN dummy payment through its engine and closes it again.
func payWithServer(t *testing.T, path string) *getpaid.Payment {
	t.Helper()
	ctx := context.Background()
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := buildServer(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "dummy", Amount: getpaid.MustParseMoney("12.34", "PLN"), Description: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// callback check looks the payment up when it can read the database, and
// says when the notification would be ignored or refused; it warns about a
// trailing newline.
func TestCallbackCheckLooksUpThePayment(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: sqlite:"+filepath.Join(t.TempDir(), "g.db")+"\nbackends:\n  dummy:\n    secret: s3cret\n")
	p := payWithServer(t, path)
	tests := []struct {
		name    string
		cb      dummy.Callback
		newline bool
		code    int
		want    []string
	}{
		{"would apply", dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "12.34", Currency: "PLN"}, false, 0,
			[]string{"valid\n", "found: payment " + p.ID, "would change the payment: prepared -> paid"}},
		{"unknown payment", dummy.Callback{PaymentID: "pay_nope", EventID: "e2", Status: "paid", Amount: "12.34", Currency: "PLN"}, false, 1,
			[]string{"valid\n", "ignored: getpaid has no payment pay_nope"}},
		{"wrong amount", dummy.Callback{PaymentID: p.ID, EventID: "e3", Status: "paid", Amount: "1.00", Currency: "PLN"}, false, 1,
			[]string{"refused: amount or currency does not match the payment: broker says paid 1.00 PLN, payment is 12.34 PLN: getpaid would answer 422 and change nothing"}},
		{"wrong currency", dummy.Callback{PaymentID: p.ID, EventID: "e4", Status: "paid", Amount: "12.34", Currency: "EUR"}, false, 1,
			[]string{"refused:", "getpaid would answer 422 and change nothing"}},
		{"trailing newline", dummy.Callback{PaymentID: p.ID, EventID: "e5", Status: "paid", Amount: "12.34", Currency: "PLN"}, true, 1,
			[]string{"warning: the body ends with a newline", "invalid:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, sig := dummy.EncodeCallback("s3cret", tt.cb)
			if tt.newline {
				body = append(body, '\n')
			}
			code, out, stderr := runCLI(t, string(body), "callback", "check", "--config", path, "--backend", "dummy", "--header", "Dummy-Signature: "+sig)
			if code != tt.code {
				t.Fatalf("code %d, want %d:\n%s%s", code, tt.code, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "(the payment is") {
				t.Errorf("the refusal says the payment's amount twice:\n%s", out)
			}
		})
	}
}

// backends with a config it refuses prints the error alone: no table
// header on stdout for a script to take as an empty list.
func TestBackendsRefusedConfigPrintsNoTable(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n    bogus: 1\n")
	code, out, stderr := runCLI(t, "", "backends", "--config", path)
	if code == 0 || out != "" || !strings.Contains(stderr, "bogus") {
		t.Fatalf("code %d, stdout %q, stderr %q; want an error naming bogus and nothing on stdout", code, out, stderr)
	}
}

// TestConfigCommandBaseURLFromConfig: with --config, the panel settings are
// made from the file's base_url when --base-url is left out (before, the
// command refused to run without the flag, so the URL was typed twice and
// could differ from the one serve sends brokers).
func TestConfigCommandBaseURLFromConfig(t *testing.T) {
	t.Parallel()
	withBase := writeConfig(t, dummyConfig)
	noBase := writeConfig(t, strings.Replace(dummyConfig, "base_url: https://pay.example.com\n", "", 1))
	withConsole := writeConfig(t, dummyConfig+"admin:\n  users:\n    - name: alice\n      password_hash: \"$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\"\n")
	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{"the file's base_url", []string{"config", "dummy", "--config", withBase}, 0, "https://pay.example.com/callback/dummy"},
		{"the flag wins", []string{"config", "dummy", "--config", withBase, "--base-url", "https://other.example"}, 0, "https://other.example/callback/dummy"},
		// serve runs on such a file (base_url from listen): say why this
		// command does not, and what to do
		{"a file without base_url", []string{"config", "dummy", "--config", noBase}, 2, "sets no base_url, and serve's try-out default (http://127.0.0.1:0) reaches no broker: set base_url"},
		{"no file", []string{"config", "dummy"}, 2, "--base-url is required"},
		// serve refuses such a base_url with admin users (their console
		// is served under its path): the flag printed settings for it.
		{"a flag with a path the console refuses", []string{"config", "dummy", "--config", withConsole, "--base-url", "https://pay.example.com/shop!"}, 2,
			"--base-url: \"https://pay.example.com/shop!\": the operator console (admin users) is served under its path, which must then hold no ; , ' ! * ( or )"},
		{"such a flag without a console", []string{"config", "dummy", "--config", withBase, "--base-url", "https://pay.example.com/shop!"}, 0, "https://pay.example.com/shop!/callback/dummy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runCLI(t, "", tt.args...)
			got := out
			if tt.code != 0 {
				got = stderr
			}
			if code != tt.code || !strings.Contains(got, tt.out) {
				t.Fatalf("code %d out %q err %q; want %d and %q", code, out, stderr, tt.code, tt.out)
			}
		})
	}
}

// A config file that is not there, or a folder given for it, is said in
// words with what to do (name the file with --config), not as a raw "open
// getpaid.yaml: no such file or directory", by every command that reads one.
func TestMissingConfigFileSaysWhatToDo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "getpaid.yaml")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"serve", []string{"serve", "--config", missing}, "no config file"},
		{"migrate", []string{"migrate", "--config", missing}, "no config file"},
		{"events", []string{"events", "list", "--config", missing}, "no config file"},
		{"backends", []string{"backends", "--config", missing}, "no config file"},
		{"a folder", []string{"migrate", "--config", dir}, "is a folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, "", tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "--config FILE") ||
				strings.Contains(stderr, "no such file or directory") || strings.Contains(stderr, "is a directory") {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q and to give --config FILE", code, stderr, tt.want)
			}
		})
	}
}

// An address flag without a port (a typical first try: --addr localhost,
// --addr 8000) says what an address looks like, for the demo and the
// simulators as for serve's listen.
func TestAddressWithoutPortSaysWhatToGive(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	for _, args := range [][]string{
		{"demo", "--addr", "localhost", "--data", data},
		{"demo", "--addr", "8000", "--data", data},
		{"simulate", "payu", "--addr", "localhost"},
	} {
		t.Run(strings.Join(args[:3], " "), func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, "", args...)
			if code == 0 || !strings.Contains(stderr, "want HOST:PORT") {
				t.Fatalf("exit %d, stderr %q; want a failure saying it wants HOST:PORT", code, stderr)
			}
		})
	}
}

// A --cpuprofile file that cannot be made names the flag: it was only
// "open /x/y.prof: no such file or directory", with no word of which of
// serve's files it was.
func TestServeCPUProfileErrorNamesTheFlag(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	code, _, stderr := runCLI(t, "", "serve", "--config", path, "--cpuprofile", filepath.Join(t.TempDir(), "missing", "cpu.prof"))
	if code == 0 || !strings.Contains(stderr, "--cpuprofile") {
		t.Fatalf("exit %d, stderr %q; want a failure naming --cpuprofile", code, stderr)
	}
}
