package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// pathLog keeps the "path" each log record names, by message.
type pathLog struct {
	mu    sync.Mutex
	paths map[string]string
}

func (l *pathLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *pathLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" {
			l.mu.Lock()
			if l.paths == nil {
				l.paths = map[string]string{}
			}
			l.paths[r.Message] = a.Value.String()
			l.mu.Unlock()
		}
		return true
	})
	return nil
}
func (l *pathLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *pathLog) WithGroup(string) slog.Handler      { return l }
func (l *pathLog) path(prefix string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for m, p := range l.paths {
		if len(m) >= len(prefix) && m[:len(prefix)] == prefix {
			return p
		}
	}
	return ""
}

// The busy server's log line names the path the client sent: the dummy
// paywall's form was logged as "/pay" (what was left once its pages' prefix
// was cut), which in library mode is the payment form's route.
func TestBusyLogNamesTheSentPath(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/broker/dummy/choose", "/callback/dummy"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			logs := &pathLog{}
			e := newEnv(t, envOpts{log: slog.New(logs),
				limits: httpapi.Limits{BodyReads: 1, CallbackRefusals: 1 << 30, CallbackBytes: map[string]int64{"dummy": 64 << 10}}})
			s := e.stall(path, 20_000)
			junk := bytes.Repeat([]byte("a"), 10_000)
			until(t, 503, func() (*http.Response, []byte) {
				select {
				case <-s.done:
					s = e.stall(path, 20_000)
				default:
				}
				return e.post(path, bytes.NewReader(junk), int64(len(junk)), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			})
			if got := logs.path("request bodies refused"); got != path {
				t.Fatalf("the busy line names path %q, want %q", got, path)
			}
		})
	}
}
