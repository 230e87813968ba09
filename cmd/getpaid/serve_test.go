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
	"strings"
	"testing"
	"time"
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

// A base_url with a path is served under that path (and nothing outside
// it); every request is logged once, and so is the shutdown.
func TestServeUnderBaseURLPath(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	path := writeConfig(t, fmt.Sprintf("listen: 127.0.0.1:%d\nbase_url: %s/gp/\ndatabase: sqlite:%s\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n",
		port, base, filepath.Join(t.TempDir(), "g.db")))
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
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("POST", base+"/api/v1/payments", strings.NewReader(`{"order_id":"o1","amount":"1.00","currency":"PLN","backend":"dummy"}`))
		req.Header.Set("Authorization", "Bearer server-api-key-0123456789")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
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
}
