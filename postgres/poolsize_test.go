package postgres

import (
	"runtime"
	"testing"
)

// The DSN's pool_max_conns is the pool's size however the DSN spells it
// (a key=value DSN may put blanks around the =, as libpq's does), and a
// DSN that does not set it gets the store's default, even when
// "pool_max_conns=" appears inside another value (a password). Needs no
// server: only the parsed configuration is looked at.
func TestPoolSizeFromDSN(t *testing.T) {
	t.Parallel()
	def := int32(max(8, 4*runtime.GOMAXPROCS(0)))
	for _, tc := range []struct {
		name string
		dsn  string
		opts Options
		want int32
	}{
		{"url", "postgres://u:pw@127.0.0.1/db?pool_max_conns=2", Options{}, 2},
		{"url, none", "postgres://u:pw@127.0.0.1/db", Options{}, def},
		{"keyword/value", "host=127.0.0.1 user=u password=pw dbname=db pool_max_conns=2", Options{}, 2},
		{"keyword/value, blanks around =", "host=127.0.0.1 user=u password=pw dbname=db pool_max_conns = 2", Options{}, 2},
		{"keyword/value, in the password only", "host=127.0.0.1 user=u password='pool_max_conns=2' dbname=db", Options{}, def},
		{"url, in the password only", "postgres://u:pool_max_conns=2@127.0.0.1/db", Options{}, def},
		{"options win", "postgres://u:pw@127.0.0.1/db?pool_max_conns=2", Options{MaxConns: 5}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := poolConfig(tc.dsn, tc.opts)
			if err != nil {
				t.Fatalf("poolConfig: %v", err)
			}
			if cfg.MaxConns != tc.want {
				t.Errorf("MaxConns %d, want %d", cfg.MaxConns, tc.want)
			}
		})
	}
}
