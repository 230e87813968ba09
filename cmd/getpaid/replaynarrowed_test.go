package main

import (
	"os"
	"strings"
	"testing"
)

// An event replayed to an endpoint whose events: no longer take its type is
// not sent (the server would discard the delivery): named with --endpoint,
// the replay is refused saying so; not named, "0 deliveries due again" says
// why, not that the event has no delivery to the config's endpoints.
func TestEventsReplayOfATypeNoLongerTaken(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	path, _, p := deliveriesSetBySQL(t, hook, "state = 'dead'")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, "    events: [payment.status_changed]\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		wantOut string
		wantErr string
	}{
		{"every endpoint", nil, 0, "0 deliveries due again: https://shop.example/hook no longer takes payment.created events", ""},
		{"the endpoint named", []string{"--endpoint", "https://shop.example/hook"}, 1, "", "does not take payment.created events now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append([]string{"events", "replay", "evt_created_" + p.ID, "--config", path}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d\n%s%s\nwant exit %d, saying %q%q", code, out, errOut, tc.code, tc.wantOut, tc.wantErr)
			}
		})
	}
}
