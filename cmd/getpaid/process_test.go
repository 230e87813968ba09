package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// getpaidBinary builds the getpaid binary once per test run, for tests that
// run real server processes (and kill them).
var getpaidBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "getpaid-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "getpaid")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a getpaid serve child process.
type process struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess runs `getpaid serve --config path` and waits until it listens
// on addr.
func startProcess(t *testing.T, path, addr string) *process {
	t.Helper()
	bin, err := getpaidBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: exec.Command(bin, "serve", "--config", path), addr: addr, logs: &syncBuffer{}}
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("getpaid serve never listened on %s:\n%s", addr, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no graceful shutdown of anything.
func (p *process) kill() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}
