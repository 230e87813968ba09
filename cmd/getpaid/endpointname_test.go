package main

import (
	"strings"
	"testing"
)

// events list shows each delivery's CONSUMER as "webhook:URL"; given to
// --endpoint as it is shown, it was refused with a message contradicting
// itself ("no event was ever delivered to \"https://shop…\" (they are to:
// https://shop…)"). --endpoint takes the URL or the name as listed.
func TestEventsEndpointTakesTheListedName(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	path, _, p := deliveriesSetBySQL(t, hook, "state = 'dead'")
	for _, ep := range []string{"https://shop.example/hook", "webhook:https://shop.example/hook"} {
		code, out, errOut := runCLI(t, "", "events", "list", "--status", "dead", "--endpoint", ep, "--config", path)
		if code != 0 || !strings.Contains(out, p.ID) || errOut != "" {
			t.Errorf("list --endpoint %s: %d\n%s%s", ep, code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, "", "events", "replay", "--dead", "--endpoint", "webhook:https://shop.example/hook", "--config", path)
	if code != 0 || !strings.HasPrefix(out, "1 delivery due again") {
		t.Errorf("replay --dead --endpoint webhook:…: %d\n%s%s", code, out, errOut)
	}
}
