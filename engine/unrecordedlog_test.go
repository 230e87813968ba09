package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// awayStore fails every change while down, as a store whose database is
// away does.
type awayStore struct {
	getpaid.Store
	down atomic.Bool
}

func (s *awayStore) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if s.down.Load() {
		return nil, fmt.Errorf("postgres: update payment: connection refused: %w", getpaid.ErrUnavailable)
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

// Notifications the store could not record while its database is away are
// answered "unavailable" (the broker sends them again) and logged once a
// minute with how many went unlogged, not once each: a three-second
// PostgreSQL restart under load wrote about 1,350 such lines.
func TestUnrecordedObservationsLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	st := &awayStore{Store: memory.New()}
	c := &clock{}
	logs := &lockedBuffer{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st, Now: c.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-away", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	st.down.Store(true)
	paid := dummy.Callback{PaymentID: p.ID, EventID: "ev-away", Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"}
	for i := range 10 {
		if _, err := e.callback(paid); !errors.Is(err, getpaid.ErrUnavailable) {
			t.Fatalf("callback %d while the store is away: %v, want unavailable", i, err)
		}
	}
	const msg = "not recorded"
	if n := strings.Count(logs.String(), msg); n != 1 {
		t.Fatalf("%d log lines for 10 unrecorded notifications in a minute, want 1", n)
	}
	c.Advance(time.Minute)
	if _, err := e.callback(paid); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("next minute: %v", err)
	}
	if n, want := strings.Count(logs.String(), msg), 2; n != want || strings.Count(logs.String(), "unlogged_in_last_window=9") != 1 {
		t.Fatalf("%d log lines after the next minute's first (want %d, saying 9 went unlogged):\n%s", n, want, logs.String())
	}
}
