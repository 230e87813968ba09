package main

import (
	"bytes"
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

// binDir is the directory of the binary getpaidBinary built; TestMain
// removes it.
var binDir string

// getpaidBinary builds the getpaid binary once per test run, on first use,
// for the tests that run real `getpaid serve` processes (and kill them).
var getpaidBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "getpaid-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "getpaid")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// getpaidBin is the getpaid binary, built on first use.
func getpaidBin(t testing.TB) string {
	t.Helper()
	bin, err := getpaidBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

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
	p := &process{cmd: exec.Command(getpaidBin(t), "serve", "--config", path), addr: addr, logs: &syncBuffer{}}
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

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
