package main

import (
	"slices"
	"testing"
)

// trusted_proxies naming every address (0.0.0.0/0, ::/0, ::ffff:0.0.0.0/96)
// lets any client say who it is: a forged X-Forwarded-For passes a
// broker's callback source check and escapes the per-address limits, and
// is stored as the buyer's address. serve warns of each such entry.
func TestTrustingEveryAddressWarned(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		proxies []string
		want    []string
	}{
		{"none", nil, nil},
		{"a proxy and a network", []string{"10.0.0.1", "10.0.0.0/8", "2001:db8::/32"}, nil},
		{"every IPv4 address", []string{"10.0.0.0/8", "0.0.0.0/0"}, []string{"0.0.0.0/0"}},
		{"every IPv6 address", []string{"::/0"}, []string{"::/0"}},
		{"every IPv4 address, mapped", []string{"::ffff:0.0.0.0/96"}, []string{"::ffff:0.0.0.0/96"}},
		{"both", []string{"0.0.0.0/0", "::/0"}, []string{"0.0.0.0/0", "::/0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := trustingEveryone(tt.proxies); !slices.Equal(got, tt.want) {
				t.Errorf("trustingEveryone(%q) = %q, want %q", tt.proxies, got, tt.want)
			}
		})
	}
}
