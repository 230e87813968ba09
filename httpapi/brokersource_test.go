package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
)

// published is the dummy broker with notification addresses of its own
// (getpaid.NotificationSourcer), as PayU, Przelewy24, Dotpay and
// Transferuj publish them, and its allowlist off (no IPAllowlister).
type published struct {
	*dummy.Broker
	from netip.Prefix
}

func (p *published) IsNotificationSource(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && p.from.Contains(addr.Unmap())
}

// A broker's real servers deliver whatever notification URL a transaction
// names, and anyone with an account at the broker can name this getpaid's
// in theirs: their notifications, signed with their key, are refused here.
// Counted against the broker's address, they had its genuine notifications
// answered 429 for the rest of the window, every window the attacker kept
// it up. A refused callback from an address the broker publishes is still
// refused and logged, but never blocks that address: on the backend's own
// route, another backend's (Przelewy24 and Dotpay share addresses), or one
// that names no backend; written IPv4-mapped as well. Other addresses are
// blocked as before.
func TestBrokerAddressNotBlockedByRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		route   string // the forged callbacks' route
		forged  string // their address
		genuine string // the genuine callback's address
		want    int
	}{
		{"on its own route", "/callback/brokered", "203.0.113.5", "203.0.113.5", 200},
		{"on another backend's route", "/callback/dummy", "203.0.113.5", "203.0.113.5", 200},
		{"on an unknown backend's route", "/callback/nope", "203.0.113.5", "203.0.113.5", 200},
		{"written IPv4-mapped", "/callback/brokered", "::ffff:203.0.113.5", "203.0.113.5", 200},
		{"another address is blocked", "/callback/brokered", "198.51.100.7", "198.51.100.7", 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := dummy.New(dummy.Config{Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			logs := &logLines{}
			e := newEnv(t, envOpts{proxies: []string{"127.0.0.1"}, log: slog.New(logs),
				limits: httpapi.Limits{CallbackRefusals: 3, Now: (&fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}).Now},
				extra:  []getpaid.Backend{{Name: "brokered", Broker: &published{Broker: d, from: netip.MustParsePrefix("203.0.113.0/24")}}}})
			p := e.create("o", "10.00", "PLN", "brokered")
			body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			forged, _ := signed(dummy.Callback{PaymentID: p.ID, EventID: "e0", Status: "paid", Amount: "10.00", Currency: "PLN"})
			for i := range 10 {
				req, _ := http.NewRequest("POST", e.srv.URL+tt.route, bytes.NewReader(forged))
				req.Header.Set(dummy.SignatureHeader, sig) // another body's: another key's, as far as getpaid can tell
				resp, b := e.send(req, map[string]string{"X-Forwarded-For": tt.forged})
				if resp.StatusCode == 200 {
					t.Fatalf("forged callback %d accepted: %s", i, b)
				}
			}
			if n := logs.count("callback refused"); n == 0 {
				t.Fatal("the refusals were not logged")
			}
			resp, b := e.postCallback("brokered", body, sig, map[string]string{"X-Forwarded-For": tt.genuine})
			if resp.StatusCode != tt.want {
				t.Fatalf("genuine callback after 10 refusals: %d %s, want %d", resp.StatusCode, b, tt.want)
			}
			want := getpaid.StatusPaid
			if tt.want != 200 {
				want = getpaid.StatusPrepared
			}
			if got := e.payment(p.ID); got.Status != want {
				t.Fatalf("payment %s, want %s", got.Status, want)
			}
		})
	}
}
