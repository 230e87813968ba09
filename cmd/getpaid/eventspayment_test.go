package main

import (
	"strings"
	"testing"
)

// events list --payment ID lists that payment's deliveries only, as the
// API's payment_id does: an operator asked "did the shop hear about this
// payment?" has its id, not the event's.
func TestEventsListByPayment(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	path, _, p := deliveriesSetBySQL(t, hook, "state = 'dead'")
	for _, tc := range []struct {
		name, payment string
		want          bool
	}{
		{"its payment", p.ID, true},
		{"another payment", "pay_other", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", "events", "list", "--payment", tc.payment, "--config", path)
			if code != 0 || strings.Contains(out, p.ID) != tc.want {
				t.Errorf("list --payment %s: %d (want %s listed: %v)\n%s%s", tc.payment, code, p.ID, tc.want, out, errOut)
			}
		})
	}
	if code, _, errOut := runCLI(t, "", "events", "replay", "--dead", "--payment", p.ID, "--config", path); code == 0 || !strings.Contains(errOut, "payment") {
		t.Errorf("replay --payment (list's flag) was taken: %d %s", code, errOut)
	}
}
