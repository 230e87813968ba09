package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// FuzzByteSize: a size setting (limits.*: "16384", "64KiB", from the file
// or a GETPAID_ variable) is read as its number times its unit, within
// 0..1TiB (never wrapped round by the multiplication), or refused; what
// is read is written back as bytes and read again the same. The committed
// seeds (testdata/fuzz) are bytes, each unit, a unit alone, a negative
// size, one past 1TiB and a unit given twice.
func FuzzByteSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseByteSize(s)
		if err != nil {
			return
		}
		if n < 0 || n > 1<<40 {
			t.Fatalf("size %q read as %d", s, n)
		}
		if again, err := parseByteSize(strconv.FormatInt(int64(n), 10)); err != nil || again != n {
			t.Fatalf("size %q read as %d, which reads back as %d, %v", s, n, again, err)
		}
		num, mult := strings.TrimSpace(s), int64(1)
		for unit, m := range map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10} {
			if v, ok := strings.CutSuffix(num, unit); ok {
				num, mult = strings.TrimSpace(v), m
				break
			}
		}
		num = strings.TrimSpace(strings.TrimSuffix(num, "B"))
		if v, err := strconv.ParseInt(num, 10, 64); err != nil || v*mult != int64(n) {
			t.Fatalf("size %q read as %d, want %s times %d", s, n, num, mult)
		}
	})
}

// FuzzDuration: a duration setting is read as Go writes durations, within
// 0..ten years, or refused; what is read is written back and read again the
// same. The committed seeds (testdata/fuzz) are seconds, hours and minutes,
// zero without a unit, a negative one, one past ten years, and one past
// what a time.Duration holds.
func FuzzDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		var d duration
		if err := d.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: s}); err != nil {
			return
		}
		if d.Duration < 0 || d.Duration > maxDuration {
			t.Fatalf("duration %q read as %v", s, d.Duration)
		}
		if want, err := time.ParseDuration(s); err != nil || want != d.Duration {
			t.Fatalf("duration %q read as %v, Go reads %v, %v", s, d.Duration, want, err)
		}
		var again duration
		if err := again.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: d.String()}); err != nil || again != d {
			t.Fatalf("duration %q read as %v, which reads back as %v, %v", s, d.Duration, again.Duration, err)
		}
	})
}
