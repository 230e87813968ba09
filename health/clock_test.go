package health_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/health"
)

// fakeDB is a database server whose clock is offset behind this process's
// fake clock, read in a round trip of rtt: half of it on the way there,
// half on the way back.
type fakeDB struct {
	now    time.Time     // this process's clock
	offset time.Duration // this process's clock less the database's
	rtt    time.Duration
	err    error
}

func (f *fakeDB) Now() time.Time { return f.now }

func (f *fakeDB) DatabaseClock(context.Context) (time.Time, error) {
	f.now = f.now.Add(f.rtt / 2)
	at := f.now.Add(-f.offset)
	f.now = f.now.Add(f.rtt / 2)
	return at, f.err
}

// An instance whose clock is a few seconds off the database server's is
// told so with an error at each check while it is (one a minute in
// serve), the gauge gets the offset, a measurement whose round trip
// leaves it within the tolerance is not an error (nor the return in step
// it may not be), a failed read is logged once, and the return in step
// once.
func TestClockWatchLogsClocksApart(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	db := &fakeDB{now: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)}
	var observed []time.Duration
	w := health.NewClockWatch(health.ClockConfig{Clock: db, Now: db.Now, Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		Observe: func(d time.Duration) { observed = append(observed, d) }})
	for _, tc := range []struct {
		name      string
		offset    time.Duration
		rtt       time.Duration
		err       error
		want      string // the line logged; "" for none
		uncertain time.Duration
	}{
		{name: "in step", offset: 200 * time.Millisecond, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond},
		{name: "ahead", offset: 3 * time.Second, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond,
			want: `level=ERROR msg="clocks apart: this instance's clock is ahead of the database server's`},
		{name: "still ahead: logged again", offset: 3 * time.Second, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond,
			want: `offset=3s uncertainty=5ms tolerance=1s`},
		{name: "back in step", offset: -time.Second, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond,
			want: `level=INFO msg="clocks back in step with the database server's" offset=-1s`},
		{name: "in step again: no line", offset: 0, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond},
		{name: "behind", offset: -1500 * time.Millisecond, rtt: 400 * time.Millisecond, uncertain: 200 * time.Millisecond,
			want: `level=ERROR msg="clocks apart: this instance's clock is behind the database server's`},
		// 1.5 s ± 1 s may be 2.5 s: not proven apart, not in step
		// either. It said "clocks back in step ... offset=1.5s" (a
		// tolerance of 1 s), and an operator took the clocks for fixed.
		{name: "as far off as a slow round trip leaves unknown: no line", offset: 1500 * time.Millisecond, rtt: 2 * time.Second, uncertain: time.Second},
		{name: "read failed", err: fmt.Errorf("postgres: clock: %w", getpaid.ErrUnavailable),
			want: `level=WARN msg="clock check: reading the database's clock failed"`},
		{name: "failed again: no line", err: getpaid.ErrUnavailable},
		{name: "read again, in step", rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond,
			want: `level=INFO msg="clocks back in step with the database server's" offset=0s`},
		{name: "in step, still: no line", offset: 900 * time.Millisecond, rtt: 10 * time.Millisecond, uncertain: 5 * time.Millisecond},
		// A read that waited 3 s for a connection of a busy pool: -1.5 s ±
		// 1.5 s says nothing of the clocks. The gauge got -1.5, and
		// README's alert (abs > 1 for 5m) fired on clocks in step through
		// a few minutes of a busy pool: not set.
		{name: "a slow round trip: not observed", offset: -1500 * time.Millisecond, rtt: 3 * time.Second, uncertain: 1500 * time.Millisecond},
		{name: "a slow round trip, proven apart: observed", offset: 5 * time.Second, rtt: 3 * time.Second, uncertain: 1500 * time.Millisecond,
			want: `level=ERROR msg="clocks apart: this instance's clock is ahead of the database server's`},
	} {
		buf.Reset()
		db.offset, db.rtt, db.err = tc.offset, tc.rtt, tc.err
		offset, uncertainty, err := w.Check(t.Context())
		if (err != nil) != (tc.err != nil) {
			t.Fatalf("%s: err %v, want %v", tc.name, err, tc.err)
		}
		if tc.err == nil && (offset != tc.offset || uncertainty != tc.uncertain) {
			t.Errorf("%s: offset %s ± %s, want %s ± %s", tc.name, offset, uncertainty, tc.offset, tc.uncertain)
		}
		out := buf.String()
		if tc.want == "" && out != "" || !strings.Contains(out, tc.want) || strings.Count(out, "\n") > 1 {
			t.Errorf("%s: logged\n%s\nwant one line with %q", tc.name, out, tc.want)
		}
	}
	want := []time.Duration{200 * time.Millisecond, 3 * time.Second, 3 * time.Second, -time.Second, 0,
		-1500 * time.Millisecond, 1500 * time.Millisecond, 0, 900 * time.Millisecond, 5 * time.Second}
	if fmt.Sprint(observed) != fmt.Sprint(want) {
		t.Errorf("observed %v, want %v (a failed read sets nothing, nor one whose round trip leaves more than the tolerance unknown)", observed, want)
	}
}
