package simkit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

func TestLifeGoAfterClose(t *testing.T) {
	t.Parallel()
	l := NewLife()
	ran := make(chan struct{})
	if !l.Go(func() { close(ran) }) {
		t.Fatal("Go refused while running")
	}
	<-ran
	afterRan := make(chan struct{}, 1)
	l.After(time.Hour, func() { afterRan <- struct{}{} })
	slept := make(chan bool, 1)
	l.Go(func() { slept <- l.Sleep(time.Hour, nil) })
	l.Close() // ends both pauses and waits for them
	if <-slept || len(afterRan) != 0 {
		t.Fatal("a pause was not cut short by Close, or After ran its function")
	}
	if l.Go(func() { t.Error("ran after Close") }) {
		t.Fatal("Go started a goroutine after Close")
	}
	if err := l.Quiet(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}

func TestLifeSleepStop(t *testing.T) {
	t.Parallel()
	l := NewLife()
	defer l.Close()
	stop := make(chan struct{})
	close(stop)
	if l.Sleep(time.Hour, stop) {
		t.Fatal("Sleep ignored a closed stop")
	}
	if !l.Sleep(time.Millisecond, nil) {
		t.Fatal("Sleep was interrupted")
	}
}

func TestLifeQuiet(t *testing.T) {
	t.Parallel()
	l := NewLife()
	defer l.Close()
	release := make(chan struct{})
	l.Go(func() { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := l.Quiet(ctx, "xtest: notifications")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "xtest: notifications still in flight: ") {
		t.Fatalf("Quiet with work in flight: %v", err)
	}
	close(release)
	if err := l.Quiet(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}

// A request held hanging ends when its client leaves, though its body was
// never read by a handler: the server only notices a client leaving once
// the body is read.
func TestHangEndsWhenTheClientLeaves(t *testing.T) {
	t.Parallel()
	l := NewLife()
	ended := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Hang(r, 0)
		close(ended)
	}))
	defer srv.Close()
	defer l.Close() // first: a request still hanging ends
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 100 * time.Millisecond}
	if _, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"amount":100}`)); err == nil {
		t.Fatal("a hanging request was answered")
	}
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("the request still hangs after its client left")
	}
}

func TestHangBounded(t *testing.T) {
	t.Parallel()
	l := NewLife()
	defer l.Close()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	start := time.Now()
	l.Hang(r, 20*time.Millisecond)
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("Hang returned before its bound")
	}
	go l.Close()
	l.Hang(r, 0) // returns once Close comes
}
