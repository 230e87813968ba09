package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// serve on PostgreSQL measures this instance's clock against the database
// server's from the start (getpaid_clock_offset_seconds); on SQLite or in
// memory, the process's own clock, there is nothing to compare and no
// such series.
func TestServeWatchesClockOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	if _, err := migrateStore(context.Background(), dsn); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, database string
		want           bool
	}{
		{"postgres", dsn, true},
		{"memory", `"memory:"`, false},
	} {
		ln := listen(t, "127.0.0.1:0")
		addr := ln.Addr().String()
		srv := startServe(t, ln, "listen: "+addr+"\nbase_url: http://"+addr+"\ndatabase: "+tc.database+"\napi_keys: ["+testAPIKey+"]\n"+
			"backends:\n  dummy:\n    secret: s3cret\n")
		if tc.want {
			waitFor(t, tc.name+": getpaid_clock_offset_seconds", func() bool {
				code, out := srv.api(http.MethodGet, "/metrics", nil)
				return code == http.StatusOK && strings.Contains(string(out), "\ngetpaid_clock_offset_seconds ")
			})
			continue
		}
		if code, out := srv.api(http.MethodGet, "/metrics", nil); code != http.StatusOK || strings.Contains(string(out), "getpaid_clock_offset_seconds") {
			t.Errorf("%s: /metrics %d:\n%s\nwant no clock offset", tc.name, code, out)
		}
	}
}
