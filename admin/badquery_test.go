package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestListRefusesAQueryItCannotRead: a listing address whose query Go drops
// in part (a bad %-escape, a ';') listed every payment, the order id (or
// status) searched for silently gone from the filter, and a filter given
// twice was searched by its first value alone. The JSON API's listing
// refuses both; the console now says what is wrong and lists nothing.
func TestListRefusesAQueryItCannotRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	e.pay("o-query-1", "1.00", "paid", getpaid.StatusPaid)
	e.pay("o-query-2", "2.00", "failed", getpaid.StatusFailed)
	b := e.browser()
	b.mustLogin()
	for _, tc := range []struct{ name, query, want string }{
		{"bad escape", "order_id=o-query-1%ZZ", "order_id"},
		{"semicolon", "order_id=o-query-1;status=paid", "order_id"},
		{"status twice", "status=paid&status=failed", "status"},
		{"order twice", "order_id=o-query-1&order_id=o-query-2", "order_id"},
	} {
		resp := b.do("GET", "/admin/?"+tc.query, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, resp.StatusCode)
		}
		if !strings.Contains(b.last, tc.want) || !strings.Contains(b.last, `class="error"`) {
			t.Errorf("%s: no error naming %s:\n%s", tc.name, tc.want, b.last)
		}
		if strings.Contains(b.last, `href="/admin/payments/pay_`) {
			t.Errorf("%s: payments listed for a query that was not read", tc.name)
		}
	}
}

// TestListRefusesALastDayBeforeYearOne: the filter's zero time means "no
// bound", and the last day 0000-12-31 ends at it: the console listed every
// payment (and totalled them all) for days before which none was created.
func TestListRefusesALastDayBeforeYearOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	e.pay("o-yearone", "1.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	for _, q := range []string{"to=0000-12-31", "to=0000-01-01", "from=0000-01-01&to=0000-12-31"} {
		resp := b.do("GET", "/admin/?"+q, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
		if !strings.Contains(b.last, "0001-01-01 or later") || !strings.Contains(b.last, `class="error"`) {
			t.Errorf("%s: no error saying the last day must be 0001-01-01 or later:\n%s", q, b.last)
		}
		if strings.Contains(b.last, `href="/admin/payments/pay_`) {
			t.Errorf("%s: payments listed for days before any was created", q)
		}
	}
	if resp := b.do("GET", "/admin/?to=0001-01-01", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("to=0001-01-01: status %d, want 200", resp.StatusCode)
	}
}
