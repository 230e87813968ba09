package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// getpaid simulate says "payu simulator at http://127.0.0.1:9000": opened
// in a browser, that address answered "404 page not found". It says what
// the simulator is and the settings that point getpaid at it; Transferuj's
// simulator, whose payment form is posted to its root, keeps its root.
func TestSimulatorRootSaysWhatItIs(t *testing.T) {
	t.Parallel()
	atRe := regexp.MustCompile(`simulator at (http://\S+)`)
	for _, tt := range []struct {
		name  string
		index bool
	}{
		{"payu", true},
		{"przelewy24", true},
		{"dotpay", true},
		{"tpay", true},
		{"transferuj", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"simulate", tt.name, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb)
			}()
			defer func() {
				cancel()
				<-done
			}()
			var base string
			for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if m := atRe.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "settings for getpaid.yaml") {
					base = m[1]
				}
			}
			if base == "" {
				t.Fatalf("the simulator did not say where it is: %q %q", out.String(), errb.String())
			}
			time.Sleep(50 * time.Millisecond) // the settings printed in full
			// The settings it prints are pasted into a getpaid.yaml as
			// they are (they were indented, under nothing).
			_, block, _ := strings.Cut(out.String(), "settings for getpaid.yaml:\n")
			c, err := loadConfig(writeConfig(t, "database: \"memory:\"\napi_keys: [key-0123456789abcdef]\n"+block), nil)
			if err != nil {
				t.Fatalf("the printed settings pasted into a config: %v\n%s", err, block)
			}
			if _, reg, err := checkedRegistry(c); err != nil {
				t.Fatalf("the printed settings: %v\n%s", err, block)
			} else {
				_ = reg.Close()
			}
			resp, err := http.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			isIndex := resp.StatusCode == 200 && strings.Contains(body, "api_url: "+base) && strings.Contains(body, tt.name+":")
			if isIndex != tt.index || resp.Header.Get("X-Content-Type-Options") == "" {
				t.Fatalf("GET %s/: %d %q\n%s; want the simulator's description: %v", base, resp.StatusCode, resp.Header, body, tt.index)
			}
		})
	}
}

// The demo serves the simulators under /sim/NAME/, as the README says:
// that address, opened, says what is there too.
func TestDemoSimulatorRootSaysWhatItIs(t *testing.T) {
	t.Parallel()
	base, _ := serveTestDemo(t, demoOptions{})
	resp, err := http.Get(base + "/sim/payu/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "api_url: "+base+"/sim/payu") {
		t.Fatalf("GET /sim/payu/: %d\n%s", resp.StatusCode, b)
	}
}
