package sqlite_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

const leaseProcessEnv = "GETPAID_SQLITE_LEASE_PROCESS"

// Across processes, as in one: a store opened while another process has the
// file open keeps that process's leases; once that process is gone (it
// exits without closing its Store, as one killed does), a store opened
// alone gives them back.
func TestDeadLeasesAcrossProcesses(t *testing.T) {
	consumer := "webhook:https://shop.example/hook"
	if v := os.Getenv(leaseProcessEnv); v != "" {
		// The other process: a lease made, then either held while the
		// parent opens beside it, or left behind by an exit without Close.
		ctx := context.Background()
		s, err := sqlite.Open(ctx, v, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
		if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: []getpaid.Subscription{{Consumer: consumer}},
			Lease: &getpaid.DeliveryLease{Owner: "child", Now: now, Until: now.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("leased\n")
		_, _ = os.Stdin.Read(make([]byte, 1)) // until the parent closes it
		os.Exit(0)                            // with the Store open, as a killed process
	}
	t.Parallel()
	needCache(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	first := open(t, path, sqlite.Options{}) // makes the file
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadLeasesAcrossProcesses$", "-test.count=1")
	cmd.Env = append(os.Environ(), leaseProcessEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "leased\n" {
		t.Fatalf("other process: %q %v", line, err)
	}
	claim := func(s *sqlite.Store) int {
		t.Helper()
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "parent", Now: time.Now(), Lease: time.Minute, Consumers: []string{consumer}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	beside, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := claim(beside); n != 0 {
		t.Fatalf("claimed %d deliveries leased by a process still running", n)
	}
	if err := beside.Close(); err != nil {
		t.Fatal(err)
	}
	_ = stdin.Close()
	_ = cmd.Wait()
	alone := open(t, path, sqlite.Options{})
	if n := claim(alone); n != 1 {
		t.Fatalf("claimed %d deliveries after the process holding them died, want 1", n)
	}
}
