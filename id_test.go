package getpaid

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^pay_[0-9a-hjkmnp-tv-z]{26}$`)
	seen := map[string]bool{}
	var ids []string
	for i := range 3 {
		if i > 0 {
			time.Sleep(2 * time.Millisecond) // a later millisecond
		}
		for range 100 {
			id := NewID("pay")
			if !shape.MatchString(id) {
				t.Fatalf("NewID = %q, want pay_ and 26 base32 characters", id)
			}
			if seen[id] {
				t.Fatalf("NewID repeated %q", id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	// Ids of later milliseconds sort after earlier ones, so an index keyed by
	// them takes new entries at its end; within a millisecond the order is
	// random.
	for i := 100; i < len(ids); i += 100 {
		if prev, next := slices.Max(ids[i-100:i]), slices.Min(ids[i:i+100]); prev >= next {
			t.Errorf("an id made later sorts first: %q >= %q", prev, next)
		}
	}
	// The time part is the creation time.
	before := time.Now().UnixMilli()
	id := NewID("x")
	b, err := idEncoding.DecodeString(id[2:])
	if err != nil {
		t.Fatal(err)
	}
	var ms int64
	for _, c := range b[:6] {
		ms = ms<<8 | int64(c)
	}
	if after := time.Now().UnixMilli(); ms < before || ms > after {
		t.Errorf("time part %d, want within [%d, %d]", ms, before, after)
	}
}
