package httpapi_test

import (
	"context"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// ipRecorder is the dummy broker remembering the buyer IP each payment was
// prepared with.
type ipRecorder struct {
	*dummy.Broker
	mu  sync.Mutex
	ips map[string]string // order id -> PrepareRequest.ClientIP
}

func (b *ipRecorder) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	b.mu.Lock()
	b.ips[r.Payment.OrderID] = r.ClientIP
	b.mu.Unlock()
	return b.Broker.Prepare(ctx, r)
}

// In server mode the create request comes from the shop's server, not the
// buyer's browser: "client_ip" gives the broker the buyer's address (PayU's
// customerIp), and without it the caller's own address is sent, as
// before. A malformed one is 422 naming client_ip and stores nothing.
func TestCreateWithClientIP(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	rec := &ipRecorder{Broker: d, ips: map[string]string{}}
	e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "rec", Broker: rec}}})
	for _, tc := range []struct {
		name, order, ip string
		status          int
		want            string // the IP the broker got
	}{
		{"caller's address without client_ip", "o-ip-none", "", 201, "127.0.0.1"},
		{"the buyer's IPv4", "o-ip-v4", "203.0.113.7", 201, "203.0.113.7"},
		{"the buyer's IPv6", "o-ip-v6", "2001:db8::1", 201, "2001:db8::1"},
		{"with a port", "o-ip-port", "203.0.113.7:443", 422, ""},
		{"with a zone", "o-ip-zone", "fe80::1%eth0", 422, ""},
		{"not an address", "o-ip-name", "shop.example", 422, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := map[string]any{"order_id": tc.order, "amount": "1.00", "currency": "PLN", "backend": "rec"}
			if tc.ip != "" {
				body["client_ip"] = tc.ip
			}
			resp, raw := e.do("POST", "/api/v1/payments", body, auth)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, raw, tc.status)
			}
			rec.mu.Lock()
			got, prepared := rec.ips[tc.order]
			rec.mu.Unlock()
			if tc.status != 201 {
				var out errorBody
				if err := jsonUnmarshal(raw, &out); err != nil || out.Error.Field != "client_ip" || out.Error.Code != "bad_request" {
					t.Errorf("refusal %s, want bad_request naming client_ip", raw)
				}
				if prepared || len(e.byOrder(tc.order)) != 0 {
					t.Errorf("a refused create reached the broker (%v) or stored a payment", prepared)
				}
				return
			}
			if got != tc.want {
				t.Errorf("the broker got client IP %q, want %q", got, tc.want)
			}
		})
	}
}
