package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

const payuSettings = `
    pos_id: "300746"
    second_key: b6ca15b0d1020e8094d9b5f8d163db54
    client_id: "300746"
    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d`

// A backend's kind says which broker it speaks to and defaults to its name;
// its name is what URLs, payments and tools use.
func TestBuildRegistry(t *testing.T) {
	t.Parallel()
	type want struct{ name, kind, title, currencies string }
	tests := []struct {
		name     string
		backends string
		want     []want
		err      string
	}{
		{"kind defaults to the name", "  dummy:\n    secret: s\n",
			[]want{{"dummy", "dummy", "Dummy broker (test payments)", "EUR GBP JPY PLN USD"}}, ""},
		{"a name other than the kind", "  test-money:\n    kind: dummy\n    title: Test money\n    secret: s\n    currencies: [KWD]\n",
			[]want{{"test-money", "dummy", "Test money", "KWD"}}, ""},
		{"two backends of one kind", "  payu_pln:\n    kind: payu" + payuSettings + "\n    currencies: [PLN]\n  payu_eur:\n    kind: payu" + payuSettings + "\n    currencies: [EUR, CZK]\n",
			[]want{{"payu_eur", "payu", "PayU", "CZK EUR"}, {"payu_pln", "payu", "PayU", "PLN"}}, ""},
		{"a backend without settings", "  dummy:\n", nil, `config: backends.dummy (line 3): want a mapping of settings`},
		{"an empty mapping", "  dummy: {}\n", nil, `config: backends.dummy (line 3): dummy: setting secret is required`},
		{"unknown kind", "  card:\n    kind: stripe\n", nil, `config: backends.card (line 4): unknown kind "stripe" (known: dotpay, dummy, payu, przelewy24, tpay, transferuj)`},
		{"a name that is no kind needs a kind", "  shop:\n    secret: s\n", nil, `config: backends.shop (line 4): unknown kind "shop"`},
		{"settings of another kind", "  payu_pln:\n    kind: payu\n    secret: s\n", nil, `config: line 5: unknown setting backends.payu_pln.secret (kind payu; known: allow_md5, api_url, client_id, client_secret, currencies, expire_after, ip_allowlist, kind, pos_id,`},
		{"a setting of the wrong type", "  payu_pln:\n    kind: payu\n    pos_id: [1, 2]\n", nil, "config: line 5: backends.payu_pln.pos_id: want text, not a list"},
		{"missing settings name the backend", "  payu_pln:\n    kind: payu\n    pos_id: \"1\"\n", nil, `config: backends.payu_pln (line 4): payu: missing settings: second_key, client_id, client_secret`},
		{"not a mapping", "  dummy: [secret]\n", nil, `config: backends.dummy (line 3): want a mapping of settings`},
		{"a malformed name", "  Shop:\n    kind: dummy\n    secret: s\n", nil, `backend name "Shop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte("database: \"memory:\"\nbackends:\n"+tt.backends), nil)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := buildRegistry(c)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			var got []want
			for _, b := range reg.All() {
				got = append(got, want{b.Name, b.Kind, b.Title, strings.Join(getpaid.Currencies(b.Broker), " ")})
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("backends %+v, want %+v", got, tt.want)
			}
		})
	}
}

// GETPAID_BACKEND_<NAME>_<SETTING> sets one setting of the backend of that
// name, the longest matching name winning; "-" in a name is "_".
func TestBackendEnvironmentOverrides(t *testing.T) {
	t.Parallel()
	const yaml = `database: "memory:"
backends:
  payu:` + payuSettings + `
  payu_pln:
    kind: payu` + payuSettings + `
  test-money:
    kind: dummy
    secret: from-file
`
	posID := func(t *testing.T, c *fileConfig, name string) string {
		settings, _, _, err := splitBackend(name, c.Backends[name])
		if err != nil {
			t.Fatal(err)
		}
		var cfg payu.Config
		if err := decodeSettings(name, settings, &cfg); err != nil {
			t.Fatal(err)
		}
		return cfg.PosID
	}
	tests := []struct {
		name  string
		env   []string
		err   string
		check func(t *testing.T, c *fileConfig)
	}{
		{"the longest name wins", []string{"GETPAID_BACKEND_PAYU_PLN_POS_ID=999"}, "", func(t *testing.T, c *fileConfig) {
			if got := posID(t, c, "payu_pln"); got != "999" {
				t.Fatalf("payu_pln pos_id %q, want 999", got)
			}
			if got := posID(t, c, "payu"); got != "300746" {
				t.Fatalf("payu pos_id %q changed", got)
			}
		}},
		{"the shorter name still gets its own", []string{"GETPAID_BACKEND_PAYU_POS_ID=123"}, "", func(t *testing.T, c *fileConfig) {
			if posID(t, c, "payu") != "123" || posID(t, c, "payu_pln") != "300746" {
				t.Fatalf("pos ids %s %s", posID(t, c, "payu"), posID(t, c, "payu_pln"))
			}
		}},
		{"a dash is an underscore", []string{"GETPAID_BACKEND_TEST_MONEY_SECRET=from-env"}, "", func(t *testing.T, c *fileConfig) {
			reg, err := buildRegistry(c)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			b, _ := reg.Get("test-money")
			body, sig := dummy.EncodeCallback("from-env", dummy.Callback{PaymentID: "pay_1", EventID: "e", Status: "paid", Amount: "1.00", Currency: "PLN"})
			v := b.Broker.(getpaid.CallbackVerifier)
			if err := v.VerifyCallback(context.Background(), &getpaid.CallbackRequest{Header: http.Header{dummy.SignatureHeader: {sig}}, Body: body}); err != nil {
				t.Fatalf("the secret from the environment is not used: %v", err)
			}
		}},
		{"a backend that is not enabled is ignored", []string{"GETPAID_BACKEND_PRZELEWY24_CRC=x"}, "", func(t *testing.T, c *fileConfig) {
			if len(c.Backends) != 3 {
				t.Fatalf("backends %v", c.Backends)
			}
		}},
		{"the database", []string{"GETPAID_DATABASE=sqlite:/var/lib/getpaid.db"}, "", func(t *testing.T, c *fileConfig) {
			if c.Database != "sqlite:/var/lib/getpaid.db" {
				t.Fatalf("database %q", c.Database)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(yaml), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
	t.Run("two names one variable", func(t *testing.T) {
		t.Parallel()
		_, err := parseConfig([]byte("database: \"memory:\"\nbackends:\n  a-b:\n    kind: dummy\n  a_b:\n    kind: dummy\n"), []string{"GETPAID_BACKEND_A_B_SECRET=x"})
		if err == nil || !strings.Contains(err.Error(), "a-b and a_b have the same environment name") {
			t.Fatalf("err = %v", err)
		}
	})
}

// closeLog records what was closed, in order.
type closeLog struct {
	mu     sync.Mutex
	closed []string
}

func (l *closeLog) add(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = append(l.closed, what)
}

type closingStore struct {
	*memory.Store
	log *closeLog
	err error
}

func (s *closingStore) Close() error {
	s.log.add("store")
	return errors.Join(s.err, s.Store.Close())
}

type closingBroker struct {
	*dummy.Broker
	name string
	log  *closeLog
	err  error
}

func (b *closingBroker) Close() error {
	b.log.add(b.name)
	return errors.Join(b.err, b.Broker.Close())
}

// Closing a server closes the brokers, then the store, and reports every
// close error, not only the first.
func TestServerCloseReportsEveryError(t *testing.T) {
	t.Parallel()
	log := &closeLog{}
	var backends []getpaid.Backend
	for _, n := range []string{"a", "b", "c"} {
		d, err := dummy.New(dummy.Config{Secret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		var cerr error
		if n != "b" {
			cerr = fmt.Errorf("connection to %s reset", n)
		}
		backends = append(backends, getpaid.Backend{Name: n, Broker: &closingBroker{Broker: d, name: n, log: log, err: cerr}})
	}
	reg, err := getpaid.NewRegistry(backends...)
	if err != nil {
		t.Fatal(err)
	}
	store := &closingStore{Store: memory.New(), log: log, err: errors.New("disk gone")}
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: "https://shop.example/pay"})
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{store: store, reg: reg, engine: eng}
	err = srv.Close()
	for _, want := range []string{"connection to a reset", "connection to c reset", "disk gone"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("close error %v does not report %q", err, want)
		}
	}
	if got := strings.Join(log.closed, ","); got != "c,b,a,store" {
		t.Fatalf("closed %s, want the brokers (last first), then the store", got)
	}
}

// serve stops on cancellation: requests in flight are answered, the engine's
// background work ends, and the brokers and the store are closed; what was
// written is on disk for the next start.
func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "getpaid.db")
	ln := listen(t, "127.0.0.1:0")
	cfg := fmt.Sprintf("base_url: http://%s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: s\n", ln.Addr(), db, testAPIKey)
	l := startServe(t, ln, cfg)
	p := l.create("o-1", "10.00", "PLN", "dummy")
	if err := l.stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if _, err := http.Get(l.base + "/api/v1/backends"); err == nil {
		t.Fatal("the server still answers after shutdown")
	}
	if _, err := os.Stat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the SQLite write-ahead log is still there (%v): the store was not closed", err)
	}
	s, err := sqlite.Open(context.Background(), db, sqlite.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Payment(context.Background(), p.ID); err != nil || got.Status != getpaid.StatusPrepared {
		t.Fatalf("after restart: %+v %v", got, err)
	}
}

// getpaid serve runs until it is told to stop, and then exits 0.
func TestServeCommand(t *testing.T) {
	t.Parallel()
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: s\n",
		addr, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey))
	if stderr := serveUntilItAnswers(t, addr, path); !strings.Contains(stderr, "a dummy backend is enabled") {
		t.Fatalf("no warning about the dummy backend: %s", stderr)
	}
}

// serveUntilItAnswers runs getpaid serve --quiet with the config at path,
// listening on addr, until it answers, then stops it, checks it exited 0,
// and returns what it wrote on stderr.
func serveUntilItAnswers(t *testing.T, addr, path string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		code <- run(ctx, []string{"serve", "--config", path, "--quiet"}, strings.NewReader(""), &strings.Builder{}, &stderr)
	}()
	waitFor(t, "getpaid serve to answer", func() bool {
		resp, err := http.Get("http://" + addr + "/api/v1/backends")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("getpaid serve exited %d: %s", c, stderr.String())
	}
	return stderr.String()
}
