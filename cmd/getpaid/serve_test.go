package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serve without API keys refuses to start: every JSON API request would be
// refused, which is never what was meant.
func TestServeRefusesNoAPIKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n")
	code, _, stderr := runCLI(t, "", "serve", "--config", path)
	if code != 1 || !strings.Contains(stderr, path+": api_keys is empty") || !strings.Contains(stderr, "GETPAID_API_KEYS") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

// serve refused for want of API keys says too which GETPAID_ variable set
// nothing: GETPAID_API_KEY (a slip for GETPAID_API_KEYS) was warned of only
// in the log of a server that started, never here, so the refusal read as
// if the keys had not been given at all. Not parallel: it sets the
// environment.
func TestServeRefusalWarnsOfIgnoredEnvironment(t *testing.T) {
	t.Setenv("GETPAID_API_KEY", "key-one-0123456789")
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n")
	code, _, stderr := runCLI(t, "", "serve", "--config", path)
	if code != 1 || !strings.Contains(stderr, "api_keys is empty") || !strings.Contains(stderr, "GETPAID_API_KEY is not a setting (did you mean GETPAID_API_KEYS?)") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

// A short API key is refused naming the config and the setting, not the
// package that checks it; also when listen's address is in use (a demo on
// the default port), which was said first, hiding the config's mistake
// until it was freed.
func TestServeRefusesShortAPIKey(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	path := writeConfig(t, "database: \"memory:\"\napi_keys: [short]\nbackends:\n  dummy:\n    secret: s\nlisten: "+busy.Addr().String()+"\n")
	code, _, stderr := runCLI(t, "", "serve", "--config", path)
	if code != 1 || !strings.Contains(stderr, path+": line 2: api_keys[0]: the key has 5 characters; use 16 or more") || strings.Contains(stderr, "httpapi") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

// A base_url with a path is served under that path (and nothing outside
// it); every request is logged once, and so is the shutdown.
func TestServeUnderBaseURLPath(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hash, err := admin.HashPassword("console-password")
	if err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, fmt.Sprintf("listen: 127.0.0.1:%d\nbase_url: %s/gp/\ndatabase: sqlite:%s\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n"+
		"admin:\n  users:\n    - {name: alice, password_hash: %q}\n",
		port, base, filepath.Join(t.TempDir(), "g.db"), hash))
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), io.Discard, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
		log := stderr.String()
		for _, want := range []string{"shutting down", "getpaid stopped"} {
			if !strings.Contains(log, want) {
				t.Errorf("no %q line in the log:\n%s", want, log)
			}
		}
	}()
	get := func(p string, hdr ...string) (int, string) {
		req, _ := http.NewRequest("GET", base+p, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(60 * time.Second) // a slow start under -race on a busy machine is no failure
	for {
		if code, _ := get("/gp/api/v1/backends"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never answered under /gp: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, body := get("/api/v1/backends")
	var e struct {
		Error struct{ Code, Message string }
	}
	if code != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, "/gp/") {
		t.Fatalf("outside the base path: %d %s", code, body)
	}
	if code, body := get("/gp/api/v1/payments", "Authorization", "Bearer server-api-key-0123456789"); code != 200 {
		t.Fatalf("the API under /gp: %d %s", code, body)
	}
	// The console lives under the base path too: its links, forms,
	// stylesheet, cookies and redirects carry /gp.
	noRedirect := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for p, want := range map[string]string{"/gp/admin/": "/gp/admin/login", "/gp/admin": "/gp/admin/", "/gp": "/gp/"} {
		resp, err := noRedirect.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc, _ := resp.Location(); resp.StatusCode/100 != 3 || loc == nil || loc.Path != want {
			t.Errorf("GET %s: %d to %v, want a redirect to %s", p, resp.StatusCode, loc, want)
		}
		if h := resp.Header; h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: the redirect lacks the headers every answer carries: %v", p, h)
		}
	}
	resp, err := http.Get(base + "/gp/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`href="/gp/admin/static/style.css"`, `action="/gp/admin/login"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the sign-in page lacks %s:\n%s", want, page)
		}
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Path=/gp/admin/") {
		t.Errorf("the console's cookie is not scoped to /gp/admin/: %s", c)
	}
	log := stderr.String()
	for _, want := range []string{"msg=http method=GET path=/gp/api/v1/backends status=200", "path=/api/v1/backends status=404", "path=/gp/api/v1/payments status=200"} {
		if !strings.Contains(log, want) {
			t.Fatalf("access log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "server-api-key") {
		t.Fatalf("the access log shows an API key:\n%s", log)
	}
}

// "getpaid stopped" is the shutdown's last line: it comes after the
// background work has finished (here a webhook attempt in flight, which
// shutdown lets end), not while that still runs.
func TestServeLogsStoppedLast(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 8)
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select { // answer only once the attempt has timed out
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hook.Close()
	defer close(release)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	path := writeConfig(t, fmt.Sprintf("listen: 127.0.0.1:%d\ndatabase: sqlite:%s\napi_keys: [server-api-key-0123456789]\ndelivery_timeout: 1s\n"+
		"webhooks:\n  - url: %s/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\nbackends:\n  dummy:\n    secret: s\n",
		port, filepath.Join(t.TempDir(), "g.db"), hook.URL))
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), io.Discard, &stderr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest("POST", base+"/api/v1/payments", strings.NewReader(`{"order_id":"o1","amount":"1.00","currency":"PLN","backend":"dummy"}`))
		req.Header.Set("Authorization", "Bearer server-api-key-0123456789")
		req.Header.Set("Content-Type", "application/json")
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 201 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-arrived // a delivery is in flight
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "getpaid stopped") {
		t.Fatalf("the last line is %q, want \"getpaid stopped\":\n%s", last, stderr.String())
	}
	// The shutdown line bounds the wait by what bounds it: an attempt in
	// flight runs for delivery_timeout, not the requests' 10 s.
	if !strings.Contains(stderr.String(), "webhook attempts in flight included (1s at most: delivery_timeout)") {
		t.Fatalf("the shutdown line does not say how long a webhook attempt may hold it:\n%s", stderr.String())
	}
}

// A request still running when the shutdown's 10 s are over (a broker call
// that hangs) is cut off, and serve says so: it said only "context deadline
// exceeded".
func TestShutdownSaysRequestsWereCutOff(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, ln, h, nil) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	cancel()
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "still in flight") || !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("serve with a request left after the shutdown's wait: %v, want it said that requests were cut off", err)
	}
}

// listen on port 0 (any free port) without base_url: the default base_url
// is made from the port taken, not http://127.0.0.1:0, which callback and
// return URLs would name and nothing answers. So is it when listen writes
// its port otherwise than as the number (a blank after the colon, a
// leading 0), which the listener takes: base_url "http://127.0.0.1: 8000"
// was refused by the engine only after the database was created.
func TestServeListenPortZeroBaseURL(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"127.0.0.1:0", fmt.Sprintf(`"127.0.0.1: %d"`, freePort(t)), fmt.Sprintf("127.0.0.1:0%d", freePort(t))} {
		t.Run(listen, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: sqlite:%s\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n",
				listen, filepath.Join(t.TempDir(), "g.db")))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), io.Discard, &stderr)
			}()
			serving := regexp.MustCompile(`msg="getpaid serving" listen=(\S+) base_url=(\S+)`)
			deadline := time.Now().Add(60 * time.Second)
			var m []string
			for m == nil {
				if m = serving.FindStringSubmatch(stderr.String()); m == nil {
					select {
					case code := <-done:
						t.Fatalf("serve ended (%d) without serving:\n%s", code, stderr.String())
					default:
					}
					if time.Now().After(deadline) {
						t.Fatalf("serve did not start:\n%s", stderr.String())
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			cancel()
			<-done
			if m[1] == "127.0.0.1:0" || m[2] != "http://"+m[1] {
				t.Fatalf("listening on %s, base_url %s; want http:// and the address taken", m[1], m[2])
			}
		})
	}
}

// An address in use says what to do, for serve's listen and the demo's
// --addr: it said "bind: address already in use" alone.
func TestAddressInUseSaysWhatToDo(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	path := writeConfig(t, "listen: "+addr+"\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n")
	for _, args := range [][]string{{"serve", "--config", path}, {"demo", "--addr", addr, "--data", t.TempDir()}} {
		code, _, stderr := runCLI(t, "", args...)
		if code == 0 || !strings.Contains(stderr, "another process listens on "+addr) {
			t.Errorf("%s: code %d stderr %q; want it to say another process listens there", args[0], code, stderr)
		}
	}
}

// metrics.listen on listen's own port is said so: it was "another process
// listens on … (a getpaid still running?)", sending the operator to look
// for a process that is this one.
func TestMetricsListenOnListensPort(t *testing.T) {
	t.Parallel()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(free.Addr().String())
	_ = free.Close()
	tests := []struct{ name, metrics string }{
		{"the same address", "127.0.0.1:" + port},
		{"every interface on its port", "0.0.0.0:" + port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: both cases take the one port.
			path := writeConfig(t, "listen: 127.0.0.1:"+port+"\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\n"+
				"metrics:\n  listen: "+tt.metrics+"\nbackends:\n  dummy:\n    secret: s\n")
			code, _, stderr := runCLI(t, "", "serve", "--config", path)
			if code == 0 || strings.Contains(stderr, "another process") ||
				!strings.Contains(stderr, "metrics.listen: "+tt.metrics+" is on listen's port "+port) {
				t.Fatalf("code %d stderr %q; want metrics.listen refused as on listen's port", code, stderr)
			}
		})
	}
}
