package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/memory"
)

// Run is meant to run beside the shop's server, often on a context that
// lives as long as the program; the README closes the engine, then the
// registry, then the store. Run went on after Close, every interval, on a
// closed store: a warning for reconciling, expiring and polling each time,
// for ever. Close now stops Run and waits for it to return; a Run started
// after Close returns at once.
func TestCloseStopsRun(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &fakeBroker{}, memory.New())
	done := make(chan struct{})
	go func() {
		e.Run(context.Background(), 10*time.Millisecond)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond) // Run is in its loop
	closed := make(chan struct{})
	go func() {
		_ = e.Close()
		close(closed)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after Close")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	again := make(chan struct{})
	go func() {
		e.Run(context.Background(), 10*time.Millisecond)
		close(again)
	}()
	select {
	case <-again:
	case <-time.After(5 * time.Second):
		t.Fatal("Run started after Close is still running 5 s later")
	}
}
