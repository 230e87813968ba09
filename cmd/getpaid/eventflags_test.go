package main

import (
	"strings"
	"testing"
)

// A flag of another verb of getpaid events was ignored in silence: "replay
// ID --status dead" sent the event's delivered webhooks again too, "list
// --dead" listed every delivery. It is a usage error, said before any
// database is opened.
func TestEventsFlagsOfAnotherVerbRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "evt_1", "--status", "dead"}, "--status is not for replay (it takes --endpoint, --dead, --waiting)"},
		{[]string{"list", "--dead"}, "--dead is not for list (it takes --status, --endpoint, --payment)"},
		{[]string{"list", "--waiting"}, "--waiting is not for list"},
		{[]string{"show", "evt_1", "--endpoint", "https://shop.example/hook"}, "--endpoint is not for show (it takes no flag but --config)"},
		{[]string{"show", "--status", "dead", "evt_1"}, "--status is not for show"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append(append([]string{"events"}, tc.args...), "--config", "/nonexistent-getpaid/getpaid.yaml")...)
			if code != 2 || !strings.Contains(errOut, "getpaid events: "+tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// The same for getpaid operations: "list --as failed" ignored --as, and
// "resolve ID --as failed --note x --state unknown" ignored --state.
func TestOperationsFlagsOfAnotherVerbRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--as", "failed"}, "--as is not for list (it takes --state, --kind, --payment, --flagged)"},
		{[]string{"list", "--note", "x"}, "--note is not for list"},
		{[]string{"show", "op_1", "--state", "unknown"}, "--state is not for show (it takes no flag but --config)"},
		{[]string{"resolve", "op_1", "--as", "failed", "--note", "x", "--flagged"}, "--flagged is not for resolve (it takes --as, --note, --by, --seen)"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append(append([]string{"operations"}, tc.args...), "--config", "/nonexistent-getpaid/getpaid.yaml")...)
			if code != 2 || !strings.Contains(errOut, "getpaid operations: "+tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// events show says "after 1 recorded attempt", not "after 1 attempts";
// and "recorded", since an attempt cut off by a crash is not: a server
// SIGKILLed after its endpoint answered 204 left the delivery "pending, not
// tried yet", then "delivered after 1 attempt" once sent again, while the
// endpoint had it twice (outside check under SIGKILL).
func TestAfterAttempts(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: ", no attempt recorded", 1: " after 1 recorded attempt", 2: " after 2 recorded attempts", 8: " after 8 recorded attempts"} {
		if got := afterAttempts(n); got != want {
			t.Errorf("afterAttempts(%d) = %q, want %q", n, got, want)
		}
	}
}

// "--endpoint webhook:" (a list's consumer name with its URL left out, as
// "webhook:$URL" with $URL unset gives) was taken for no --endpoint at all:
// replay --waiting made every endpoint's waiting deliveries due, replay
// --dead every endpoint's dead ones, list listed them all. It is a usage
// error, said before any database is opened.
func TestEventsEndpointWithoutURLRefused(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"replay", "--waiting", "--endpoint", "webhook:"},
		{"replay", "--dead", "--endpoint", "webhook:"},
		{"replay", "evt_1", "--endpoint", "webhook: "},
		{"list", "--endpoint", "webhook:"},
		{"backfill", "--since", "1h", "--endpoint", "webhook:"},
		{"discard", "--endpoint", "webhook:"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append(append([]string{"events"}, args...), "--config", "/nonexistent-getpaid/getpaid.yaml")...)
			if want := "getpaid events: --endpoint"; code != 2 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "names no URL") || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q … names no URL", code, out, errOut, want)
			}
		})
	}
}

// "operations list --flagged=false" listed every operation, the flagged
// ones among them, as if it asked for the unflagged ones (the API refuses
// flagged=false: there is no such filter). It is a usage error.
func TestOperationsFlaggedFalseRefused(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "operations", "list", "--flagged=false", "--config", "/nonexistent-getpaid/getpaid.yaml")
	if want := "getpaid operations: --flagged=false"; code != 2 || !strings.Contains(errOut, want) || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, want)
	}
}

// "events replay "$ID" --dead" with $ID unset (an empty argument) made every
// event's dead deliveries due again, as "replay --dead" does, where one
// event's were meant; with --waiting, every waiting one. An id given empty
// is a usage error, said before any database is opened.
func TestEventsReplayEmptyIDRefused(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"replay", "", "--dead"},
		{"replay", "--dead", ""},
		{"replay", " ", "--dead"},
		{"replay", "", "--waiting"},
		{"replay", "", "--dead", "--endpoint", "https://shop.example/hook"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append(append([]string{"events"}, args...), "--config", "/nonexistent-getpaid/getpaid.yaml")...)
			if want := "getpaid events: the event id is empty"; code != 2 || !strings.Contains(errOut, want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, want)
			}
		})
	}
}
