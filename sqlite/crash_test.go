package sqlite_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// crashEnv names the database a child process writes to before it kills
// itself; crashDriverEnv its driver.
const (
	crashEnv       = "GETPAID_SQLITE_CRASH_DB"
	crashDriverEnv = "GETPAID_SQLITE_CRASH_DRIVER"
)

// TestCrashDurability runs a child process that creates a payment, moves it
// to paid and then dies by SIGKILL without closing the store (no graceful
// writer shutdown, no checkpoint). Everything it was told is committed must be
// in the database when it is reopened.
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(t, path, os.Getenv(crashDriverEnv))
		return
	}
	t.Parallel()
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "crash.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+path, crashDriverEnv+"="+d)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
			}
			if _, err := os.Stat(path + "-wal"); err != nil {
				t.Logf("no WAL file left behind (%v)", err)
			}
			ctx := context.Background()
			s, err := sqlite.Open(ctx, path, sqlite.Options{Driver: d})
			if err != nil {
				t.Fatalf("reopen after crash: %v", err)
			}
			defer s.Close()
			page, err := s.Payments(ctx, getpaid.PaymentFilter{OrderID: "o-crash"})
			if err != nil || len(page.Payments) != 20 {
				t.Fatalf("after crash: %v, %v; want 20 payments", page, err)
			}
			ps := page.Payments
			for _, p := range ps {
				if p.Status != getpaid.StatusPaid || p.Version != 3 {
					t.Errorf("payment %s: status %s version %d, want paid 3", p.ID, p.Status, p.Version)
				}
				if h, err := s.History(ctx, p.ID); err != nil || len(h) != 2 {
					t.Errorf("history of %s: %v, %v", p.ID, h, err)
				}
				if applied, err := s.EventApplied(ctx, p.ID, "crash:"+p.ID); err != nil || !applied {
					t.Errorf("event key of %s lost: %v, %v", p.ID, applied, err)
				}
			}
			if page, err := s.Events(ctx, getpaid.EventFilter{Limit: 100}); err != nil || len(page.Events) != 60 {
				t.Errorf("events after crash: %v, %v; want 60", page, err)
			}
		})
	}
}

// crashChild writes 20 payment lifecycles concurrently, then kills its own
// process without closing anything.
func crashChild(t *testing.T, path, driver string) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{Driver: driver})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-crash", Backend: "dummy",
				Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN")}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
				errs <- err
				return
			}
			if _, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "prepared",
				Apply: func(q *getpaid.Payment) (bool, error) { return true, getpaid.MarkPrepared(q, "", nil) }}); err != nil {
				errs <- err
				return
			}
			o := &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
			_, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "crash:" + p.ID, Cause: o.Cause(),
				Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, o) }})
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
