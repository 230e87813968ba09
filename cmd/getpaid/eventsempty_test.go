package main

import (
	"strings"
	"testing"
)

// events list lists deliveries, and a server sends events only to its
// webhooks: (and a library's listeners). Run on a config with none, an
// empty table would read as "nothing happened"; it says why it is empty.
func TestEventsListWithoutWebhooksSaysWhy(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "events", "list", "--config", path)
	if code != 0 || !strings.Contains(out, "EVENT") || !strings.Contains(errOut, "no webhooks:") {
		t.Fatalf("code %d\nstdout %q\nstderr %q; want the table and a word that the config has no webhooks:", code, out, errOut)
	}
}
