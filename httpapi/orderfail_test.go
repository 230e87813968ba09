package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// failingOrders is a shop's order source whose database fails: Order
// fails with orderErr, CheckPayable with checkErr.
type failingOrders struct{ orderErr, checkErr error }

func (f failingOrders) Order(_ context.Context, id string) (*getpaid.Order, error) {
	if f.orderErr != nil {
		return nil, f.orderErr
	}
	return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Order"}, nil
}

func (f failingOrders) CheckPayable(context.Context, *getpaid.Order) error { return f.checkErr }

// errText keeps the text of every log record's "err" attribute.
type errText struct {
	mu   sync.Mutex
	errs []string
}

func (l *errText) Enabled(context.Context, slog.Level) bool { return true }
func (l *errText) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			l.mu.Lock()
			l.errs = append(l.errs, a.Value.String())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}
func (l *errText) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errText) WithGroup(string) slog.Handler      { return l }
func (l *errText) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errs {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// A shop whose orders cannot be read or checked now (its database is
// away) tells the buyer to try again in a moment, offers no payment
// method, starts no payment, shows the buyer none of the internal error,
// and logs that error for the merchant. Before, a failing OrderSource left
// no trace in the log (the buyer saw "try again" and the merchant nothing),
// and a CheckPayable that could not decide (ErrUnavailable) refused the
// order with 409 and showed the buyer its error text as the reason.
func TestOrderSourceFailureLoggedNotShown(t *testing.T) {
	t.Parallel()
	secret := "dial tcp 10.0.0.5:5432: connection refused"
	for _, tc := range []struct {
		name   string
		orders failingOrders
		status int
	}{
		{"order read fails", failingOrders{orderErr: errors.New(secret)}, http.StatusInternalServerError},
		{"order read unavailable", failingOrders{orderErr: fmt.Errorf("orders: %w: %s", getpaid.ErrUnavailable, secret)}, http.StatusServiceUnavailable},
		{"check unavailable", failingOrders{checkErr: fmt.Errorf("orders: %w: %s", getpaid.ErrUnavailable, secret)}, http.StatusServiceUnavailable},
		{"check timed out", failingOrders{checkErr: fmt.Errorf("orders: %s: %w", secret, context.DeadlineExceeded)}, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &errText{}
			e := newEnv(t, envOpts{})
			h, err := httpapi.New(httpapi.Config{Service: e.eng, Orders: tc.orders, Logger: slog.New(logs)})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for _, method := range []string{"GET", "POST"} {
				var resp *http.Response
				if method == "GET" {
					resp, err = client.Get(srv.URL + "/pay/o-1")
				} else {
					resp, err = client.PostForm(srv.URL+"/pay/o-1", url.Values{"backend": {"dummy"}})
				}
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(t, resp)
				// The form itself offers no method; a choice submitted may be
				// offered the methods again, to try again with.
				if resp.StatusCode != tc.status || !strings.Contains(body, "try again") || strings.Contains(body, "10.0.0.5") ||
					(method == "GET" && strings.Contains(body, `value="dummy"`)) {
					t.Errorf("%s /pay/o-1: %d, want %d, a \"try again\" page with no internal error:\n%s",
						method, resp.StatusCode, tc.status, body)
				}
			}
			if !logs.has(secret) {
				t.Errorf("the log does not say why the order could not be read or checked: %q", logs.errs)
			}
			if tc.orders.checkErr != nil {
				_, err := e.eng.PayOrder(context.Background(), tc.orders, "o-1", "dummy", "")
				if !errors.Is(err, getpaid.ErrUnavailable) || errors.Is(err, getpaid.ErrOrderNotPayable) {
					t.Errorf("PayOrder when the check could not decide: %v, want ErrUnavailable, not ErrOrderNotPayable", err)
				}
			}
			if ps := e.byOrder("o-1"); len(ps) != 0 {
				t.Errorf("%d payments stored for an order that could not be checked", len(ps))
			}
		})
	}
}
