package engine_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A base URL no broker or browser can reach is refused by New, as the
// server's base_url is: every interface's address (a listen address,
// "0.0.0.0:8000", put after "http://"), or a port past 65535.
// Before, New took them and gave every backend callback and return URLs
// leading nowhere (PayU's notifyUrl http://0.0.0.0:8000/...): a library
// shop's notifications were all lost, with no error.
func TestBaseURLNoOneCanReachRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base string
		want string // in the error
	}{
		{"http://0.0.0.0:8000/payments", "0.0.0.0"},
		{"http://[::]:8000/payments", "[::]"},
		// 0.0.0.0 written IPv4-mapped, as getpaid serve's base_url check
		// (net.IP) already reads it.
		{"http://[::ffff:0.0.0.0]:8000/payments", "[::ffff:0.0.0.0]"},
		{"https://shop.example:99999/payments", `port "99999"`},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			t.Parallel()
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: &fakeBroker{}})
			if err != nil {
				t.Fatal(err)
			}
			eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: tt.base})
			if err == nil {
				_ = eng.Close()
				t.Fatalf("New accepted base URL %s", tt.base)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want it to name %s", err, tt.want)
			}
		})
	}
	// A port given in full, an IPv6 host's colons and no port at all stay
	// fine.
	for _, base := range []string{"https://shop.example:8443/payments", "http://[2001:db8::1]/payments", "http://[2001:db8::1]:8000/p", "https://shop.example/payments"} {
		reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: &fakeBroker{}})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: base})
		if err != nil {
			t.Fatalf("New refused base URL %s: %v", base, err)
		}
		_ = eng.Close()
	}
}
