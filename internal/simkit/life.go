package simkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Life is a simulator's background work: the goroutines it starts, the
// pauses they take and the requests it holds hanging. Quiet waits for the
// goroutines; Close ends all of it. It is safe for concurrent use; create it
// with NewLife.
type Life struct {
	ctx  context.Context
	stop context.CancelFunc
	mu   sync.Mutex // orders Go against Close: no goroutine starts once closed
	wg   sync.WaitGroup
}

// NewLife returns a running Life.
func NewLife() *Life {
	ctx, stop := context.WithCancel(context.Background())
	return &Life{ctx: ctx, stop: stop}
}

// Context is ended by Close.
func (l *Life) Context() context.Context { return l.ctx }

// Go runs f in the background, counted by Quiet and Close, and reports
// whether it did: after Close it does not.
func (l *Life) Go(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}

// After runs f in the background d from now, unless Close comes first.
func (l *Life) After(d time.Duration, f func()) {
	l.Go(func() {
		if l.Sleep(d, nil) {
			f()
		}
	})
}

// Sleep pauses for d and reports whether it did: Close, or closing stop
// (nil for none), interrupts it.
func (l *Life) Sleep(d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.ctx.Done():
		return false
	case <-stop:
		return false
	}
}

// Hang holds a request until its client gives up, the simulator closes or
// max passes (0: no bound). It reads the request's body first: the server
// only notices a client leaving once the body was read.
func (l *Life) Hang(r *http.Request, max time.Duration) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<16))
	ctx := r.Context()
	if max > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, max)
		defer cancel()
	}
	select {
	case <-ctx.Done():
	case <-l.ctx.Done():
	}
}

// Quiet waits until every goroutine started with Go has ended, or ctx
// ends: the error then says what ("payutest: notifications") is still in
// flight.
func (l *Life) Quiet(ctx context.Context, what string) error {
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s still in flight: %w", what, ctx.Err())
	}
}

// Close ends every pause and hanging request, stops new goroutines and
// waits for the running ones to end.
func (l *Life) Close() {
	l.mu.Lock()
	l.stop()
	l.mu.Unlock()
	l.wg.Wait()
}
