package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// Pending deliveries to a webhook endpoint that is not in webhooks: (removed,
// or its URL spelled differently since: deliveries are kept under the URL as
// it was written) are sent by nobody: serve says so when it starts, naming
// the endpoint and what to do, and, for a respelling, the configured
// endpoint it looks like.
func TestServeWarnsOfPendingDeliveriesToAnEndpointNotConfigured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, configured, old, events string
		want                          []string
	}{
		{"respelled", "http://127.0.0.1:1/hook", "HTTP://127.0.0.1:1/hook", "",
			[]string{"HTTP://127.0.0.1:1/hook", "spelled differently", "http://127.0.0.1:1/hook"}},
		{"removed", "http://127.0.0.1:1/new", "http://127.0.0.1:1/old", "",
			[]string{"http://127.0.0.1:1/old", "events discard"}},
		// Its events: narrowed since: the payment.created waiting for its
		// retry holds back the payment's later events to it.
		{"no longer takes the type", "http://127.0.0.1:1/hook", "http://127.0.0.1:1/hook", "    events: [payment.status_changed]\n",
			[]string{"http://127.0.0.1:1/hook", "payment.created", "hold back", "events replay --waiting --endpoint http://127.0.0.1:1/hook"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "getpaid.db")
			s, err := sqlite.Open(ctx, db, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o1", Backend: "dummy", Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("10.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: []getpaid.Subscription{{Consumer: "webhook:" + tc.old}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			ln := listen(t, "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: s\nwebhooks:\n  - url: %s\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n%s",
				addr, db, testAPIKey, tc.configured, tc.events))
			stderr := serveUntilItAnswers(t, addr, path)
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "level=WARN") && strings.Contains(l, "pending") && strings.Contains(l, tc.old) {
					line = l
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("warning %q does not say %q; stderr:\n%s", line, w, stderr)
				}
			}
		})
	}
}
