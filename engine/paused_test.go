package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// Paused lists the consumers this engine sends nothing to for now, with
// until when and the answer that paused them, so an operator can see why an
// endpoint's deliveries wait (before, only a log line said it); a replay
// resumes a gone one and it leaves the list.
func TestPausedConsumersListed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		after  time.Duration
		gone   bool
		pause  time.Duration
	}{
		{410, 0, true, time.Hour},
		{429, 30 * time.Second, false, 30 * time.Second},
		{502, 0, false, time.Minute}, // the schedule's first wait
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			ep := &endpoint{script: []error{newAnswer(tc.status, tc.after)}}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Consumers: []engine.Consumer{ep},
				RetrySchedule: []time.Duration{time.Minute, time.Hour}})
			ctx := context.Background()
			if got := e.eng.Paused(); len(got) != 0 {
				t.Fatalf("paused before any answer: %+v", got)
			}
			before := time.Now()
			p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-paused", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the pause", func() bool { return len(e.eng.Paused()) == 1 })
			got := e.eng.Paused()[0]
			if got.Consumer != ep.Name() || got.Gone != tc.gone || got.Status != tc.status {
				t.Errorf("paused %+v; want %s, gone %v, status %d", got, ep.Name(), tc.gone, tc.status)
			}
			if lo, hi := before.Add(tc.pause), time.Now().Add(tc.pause); got.Until.Before(lo) || got.Until.After(hi) {
				t.Errorf("paused until %s; want %s from the answer", got.Until, tc.pause)
			}
			if _, err := e.eng.Replay(ctx, getpaid.ReplayRequest{EventID: "evt_created_" + p.ID, Consumer: ep.Name()}); err != nil && tc.gone {
				t.Fatal(err)
			}
			if tc.gone {
				if got := e.eng.Paused(); len(got) != 0 {
					t.Errorf("still paused after a replay: %+v", got)
				}
			}
		})
	}
}
