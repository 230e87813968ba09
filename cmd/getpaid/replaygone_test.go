package main

import (
	"strings"
	"testing"
)

// A dead delivery whose endpoint answered 410 Gone is replayed by the CLI,
// another process: the server that got the 410 sends the endpoint nothing
// for an hour from it (it hears a replay through its API or console only).
// The CLI said "a running server delivers it within a second" all the
// same, and the operator waited in vain; it now says when the endpoint is
// tried again and how to resume it at once. A 410 older than the hour
// changes nothing.
func TestEventsReplayOfAGoneEndpointSaysWhen(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	const nowNanos = "CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER)"
	for _, tc := range []struct {
		name string
		set  string
		args func(id string) []string
		gone bool
	}{
		{"--dead, a 410 a minute ago", "updated_at = " + nowNanos + " - 60000000000", func(string) []string { return []string{"--dead"} }, true},
		{"one event, a 410 a minute ago", "updated_at = " + nowNanos + " - 60000000000", func(id string) []string { return []string{id} }, true},
		{"--dead --endpoint, a 410 a minute ago", "updated_at = " + nowNanos + " - 60000000000",
			func(string) []string { return []string{"--dead", "--endpoint", "https://shop.example/hook"} }, true},
		{"--dead, a 410 two hours ago", "updated_at = " + nowNanos + " - 7200000000000", func(string) []string { return []string{"--dead"} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, _, p := deliveriesSetBySQL(t, hook, "state = 'dead', attempts = 1, last_status = 410, last_error = 'webhook: answered 410 Gone', "+tc.set)
			code, out, errOut := runCLI(t, "", append([]string{"events", "replay", "--config", path}, tc.args("evt_created_"+p.ID)...)...)
			if code != 0 || !strings.HasPrefix(out, "1 delivery due again") {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			said := strings.Contains(out, "410 Gone") && strings.Contains(out, "https://shop.example/hook") && strings.Contains(out, "replay_dead")
			if said != tc.gone {
				t.Fatalf("%s\nsays when a gone endpoint is tried again: %v; want %v", out, said, tc.gone)
			}
		})
	}
}
