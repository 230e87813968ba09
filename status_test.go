package getpaid_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/getpaid-go/getpaid"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestTransitionTableGolden(t *testing.T) {
	t.Parallel()
	got := getpaid.TransitionTable()
	path := filepath.Join("testdata", "transitions.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestTransitionTableGolden -update)", err)
	}
	if got != string(want) {
		t.Fatalf("transition table changed; review and run with -update.\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestStatusesAllValid(t *testing.T) {
	t.Parallel()
	all := getpaid.Statuses()
	if len(all) != 11 {
		t.Fatalf("want eleven statuses, have %d", len(all))
	}
	for _, s := range all {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		for _, to := range all {
			if getpaid.CanTransition(s, to) && !to.Valid() {
				t.Errorf("%s -> %s leads to an invalid status", s, to)
			}
		}
	}
	// Refunded moves only when the broker reports more money captured than
	// was refunded (a late capture).
	for _, to := range all {
		if getpaid.CanTransition(getpaid.StatusRefunded, to) != (to == getpaid.StatusPartiallyRefunded) {
			t.Errorf("refunded -> %s: allowed %v", to, getpaid.CanTransition(getpaid.StatusRefunded, to))
		}
	}
	for _, s := range []getpaid.Status{getpaid.StatusFailed, getpaid.StatusCancelled, getpaid.StatusNew, getpaid.StatusPrepared} {
		if getpaid.CanTransition(getpaid.StatusPaid, s) {
			t.Errorf("paid -> %s must be forbidden", s)
		}
	}
}

func TestFraudMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []getpaid.FraudStatus
		ok    bool
	}{
		{"review then accept", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudAccepted}, true},
		{"review then reject", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudRejected}, true},
		{"accept from unknown", []getpaid.FraudStatus{getpaid.FraudAccepted}, true},
		{"accepted cannot be rejected", []getpaid.FraudStatus{getpaid.FraudAccepted, getpaid.FraudRejected}, false},
		{"rejected cannot go back to check", []getpaid.FraudStatus{getpaid.FraudRejected, getpaid.FraudCheck}, false},
		// django-getpaid scenario 16: accept or reject from unknown or
		// check; anything else is an error.
		{"reject from unknown", []getpaid.FraudStatus{getpaid.FraudRejected}, true},
		{"review from unknown", []getpaid.FraudStatus{getpaid.FraudCheck}, true},
		{"review twice", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudCheck}, false},
		{"back to unknown", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudUnknown}, false},
		{"rejected cannot be accepted", []getpaid.FraudStatus{getpaid.FraudRejected, getpaid.FraudAccepted}, false},
		{"a status that is none of the machine's", []getpaid.FraudStatus{"maybe"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{}
			var err error
			for _, s := range tt.steps {
				if err = p.SetFraud(s); err != nil {
					break
				}
			}
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			var te *getpaid.TransitionError
			if err != nil && !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *getpaid.TransitionError", err)
			}
		})
	}
}
