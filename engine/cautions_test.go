package engine_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// cautiousBroker is a backend with something to say about its settings (the
// dummy's "anyone can mark payments paid").
type cautiousBroker struct{ fakeBroker }

func (*cautiousBroker) Cautions() []string { return []string{"anyone can mark payments paid here"} }

// syncBuffer is a log sink safe for the engine's goroutines.
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

// A backend's cautions (getpaid.Cautioner) are logged by the engine that
// serves it, so a library user hears them as getpaid serve's operator does:
// a dummy backend left in a shop where real buyers pay used to be enabled
// without a word in library mode. A tool's engine that delivers nothing
// (beside a server, which says them) stays quiet.
func TestNewLogsBackendCautions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		noDelivery bool
		want       bool
	}{
		{"serving engine", false, true},
		{"tool beside a server", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: &cautiousBroker{}})
			e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
				NoDelivery: tc.noDelivery, Logger: slog.New(slog.NewTextHandler(&out, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			logged := strings.Contains(out.String(), `level=WARN msg="anyone can mark payments paid here" backend=dummy`)
			if logged != tc.want {
				t.Fatalf("caution logged: %v, want %v; log:\n%s", logged, tc.want, out.String())
			}
		})
	}
}
