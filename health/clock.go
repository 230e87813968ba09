package health

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// ClockConfig configures a ClockWatch.
type ClockConfig struct {
	// Clock reads the database server's clock.
	Clock getpaid.ClockReader
	// Tolerance is how far this process's clock may be from the
	// database's, beyond what the read's round trip leaves unknown, before
	// an error is logged; 0 means DefaultClockTolerance.
	Tolerance time.Duration
	// Observe, if set, gets each offset measured (the metrics gauge),
	// but one whose round trip leaves more than the tolerance unknown
	// and the clocks maybe in step.
	Observe func(offset time.Duration)
	// Logger gets the clocks found apart; nil means slog.Default().
	Logger *slog.Logger
	// Now is this process's clock; nil means time.Now.
	Now func() time.Time
}

// DefaultClockTolerance is ClockConfig's default Tolerance. Two instances
// each within it of the database are within 2 s of each other: under a
// webhook lease's 5 s margin over delivery_timeout, and far under
// resume_operations_after less a broker call's duration (a minute with the
// defaults: 2 min, less a token and a refund call of 30 s each), past
// which an instance takes a running money operation for a dead one. NTP
// keeps clocks within milliseconds: one a second off is not in sync, and
// the round trip's uncertainty, subtracted first, keeps a slow query from
// being taken for a clock off.
const DefaultClockTolerance = time.Second

// ClockWatch compares this process's clock with the database server's:
// several instances on one database time leases, and how long a money
// operation has been at its broker, each by its own clock (README, Clocks).
type ClockWatch struct {
	cfg ClockConfig

	mu      sync.Mutex
	apart   bool // the last measurement found the clocks apart (an error was logged)
	failing bool // the last read failed (a warning was logged)
}

// NewClockWatch returns a watch over cfg.Clock.
func NewClockWatch(cfg ClockConfig) *ClockWatch {
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultClockTolerance
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ClockWatch{cfg: cfg}
}

// Check reads the database's clock once, between two readings of this
// process's: offset is this process's clock less the database's (positive:
// this one is ahead), taken at the middle of the round trip, and
// uncertainty half the round trip (the database read its clock somewhere
// in it). When |offset| exceeds uncertainty by more than the tolerance,
// an error is logged (at every check while it does), and the first check
// whose offset is within the tolerance says they are back in step (one
// whose slow round trip alone keeps it from an error, nothing). A failed
// read is logged once until one works (the readiness probe reports the
// database away).
func (w *ClockWatch) Check(ctx context.Context) (offset, uncertainty time.Duration, err error) {
	log := w.cfg.Logger
	before := w.cfg.Now()
	db, err := w.cfg.Clock.DatabaseClock(ctx)
	after := w.cfg.Now()
	if err != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.failing && !errors.Is(err, context.Canceled) { // shutting down
			log.WarnContext(ctx, "clock check: reading the database's clock failed", "err", err)
			w.failing = true
		}
		return 0, 0, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failing = false
	uncertainty = max(after.Sub(before)/2, 0)
	offset = before.Add(uncertainty).Sub(db)
	apart := offset.Abs()-uncertainty > w.cfg.Tolerance
	if w.cfg.Observe != nil && (uncertainty <= w.cfg.Tolerance || apart) {
		// A round trip that leaves more than the tolerance unknown (a
		// wait for a connection of a busy pool is in it) tells nothing
		// unless the clocks are apart all the same: the gauge keeps
		// the last measurement.
		w.cfg.Observe(offset)
	}
	if apart {
		way := "ahead of"
		if offset < 0 {
			way = "behind"
		}
		log.ErrorContext(ctx, "clocks apart: this instance's clock is "+way+" the database server's; sync every instance's clock (NTP): "+
			"an instance ahead of another by more than resume_operations_after less a broker call's duration takes a refund still running there for a dead one, "+
			"and a refund asked again moves the money twice",
			"offset", offset.Round(time.Millisecond).String(), "uncertainty", uncertainty.Round(time.Millisecond).String(),
			"tolerance", w.cfg.Tolerance.String())
		w.apart = true
	} else if w.apart && offset.Abs() <= w.cfg.Tolerance {
		// Not back in step when only a slow round trip hides the
		// offset (1.5 s ± 1 s): that says nothing.
		log.InfoContext(ctx, "clocks back in step with the database server's", "offset", offset.Round(time.Millisecond).String())
		w.apart = false
	}
	return offset, uncertainty, nil
}

// Run checks at once, then every interval (0 or less: a minute), until
// ctx ends.
func (w *ClockWatch) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, _, _ = w.Check(rctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
