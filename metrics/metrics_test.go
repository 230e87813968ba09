package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/metrics"
)

type backlog struct {
	b   getpaid.Backlog
	err error
}

func (b backlog) Backlog(context.Context) (getpaid.Backlog, error) { return b.b, b.err }

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Result().Body)
	return string(body)
}

func TestSeries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Config{Backends: []string{"payu"}, NoProcess: true, Now: func() time.Time { return now },
		Backlog: backlog{b: getpaid.Backlog{Pending: 3, Oldest: now.Add(-90 * time.Second), Dead: 2, InDoubt: 4, Flagged: 1}}})
	ctx := context.Background()
	m.ObserveCallback(ctx, getpaid.CallbackReport{Backend: "payu", Outcome: getpaid.OutcomeApplied})
	m.ObserveCallback(ctx, getpaid.CallbackReport{Backend: "payu", Reason: "signature_invalid"})
	m.ObserveCallback(ctx, getpaid.CallbackReport{Backend: "made-up-name", Reason: "unknown_backend"})
	pay := &getpaid.Payment{Backend: "payu"}
	m.Changed(ctx, &getpaid.UpdateResult{Payment: pay, Transition: &getpaid.Transition{To: getpaid.StatusPrepared}}, true)
	m.Changed(ctx, &getpaid.UpdateResult{Payment: pay, Transition: &getpaid.Transition{To: getpaid.StatusPaid}}, false)
	m.Changed(ctx, &getpaid.UpdateResult{Payment: pay}, false)
	_, done := m.BrokerCall(ctx, "payu", "refund")
	done(errors.New("refused"))
	_, done = m.BrokerCall(ctx, "payu", "prepare")
	done(nil)
	// A notification refused (a scanner's, a forged one) is counted in
	// getpaid_callbacks_total, not as the broker failing.
	_, done = m.BrokerCall(ctx, "payu", "parse_callback")
	done(errors.New("signature invalid"))
	// A lookup answered "not found" is the broker's answer (a refund never
	// made), not the broker failing; a lookup that failed is.
	_, done = m.BrokerCall(ctx, "payu", "fetch_operation")
	done(fmt.Errorf("payu: refund r-1: %w", getpaid.ErrNotFound))
	_, done = m.BrokerCall(ctx, "payu", "refund_event_ids")
	done(fmt.Errorf("payu: refunds: %w", getpaid.ErrNotFound))
	_, done = m.BrokerCall(ctx, "payu", "fetch_status")
	done(errors.New("connection reset"))
	// A money call answered "not found" did fail.
	_, done = m.BrokerCall(ctx, "payu", "capture")
	done(fmt.Errorf("payu: order: %w", getpaid.ErrNotFound))
	m.ObserveCommit(12, 3*time.Millisecond, false)
	m.ObserveCommit(1, time.Millisecond, true)
	got := scrape(t, m)
	for _, want := range []string{
		`getpaid_callbacks_total{backend="payu",outcome="applied"} 1`,
		`getpaid_callbacks_total{backend="payu",outcome="signature_invalid"} 1`,
		`getpaid_callbacks_total{backend="other",outcome="unknown_backend"} 1`,
		`getpaid_payments_created_total{backend="payu"} 1`,
		`getpaid_status_transitions_total{backend="payu",to="prepared"} 1`,
		`getpaid_status_transitions_total{backend="payu",to="paid"} 1`,
		`getpaid_broker_request_duration_seconds_count{backend="payu",operation="refund"} 1`,
		`getpaid_broker_request_errors_total{backend="payu",operation="refund"} 1`,
		`getpaid_broker_request_errors_total{backend="payu",operation="fetch_status"} 1`,
		`getpaid_broker_request_errors_total{backend="payu",operation="capture"} 1`,
		`getpaid_broker_request_duration_seconds_count{backend="payu",operation="fetch_operation"} 1`,
		`getpaid_broker_request_duration_seconds_count{backend="payu",operation="prepare"} 1`,
		`getpaid_store_commit_duration_seconds_count 2`,
		`getpaid_store_commit_writes_sum 13`,
		`getpaid_store_commit_failures_total 1`,
		`getpaid_outbox_pending_deliveries 3`,
		`getpaid_outbox_oldest_pending_age_seconds 90`,
		// once its retries ran out a delivery left the pending gauges,
		// and no series showed the merchant never heard of the event
		`getpaid_outbox_dead_deliveries 2`,
		`getpaid_operations_in_doubt 4`,
		`getpaid_operations_flagged 1`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(got, "made-up-name") || strings.Contains(got, `operation="prepare"} 1`+"\n"+`getpaid_broker_request_errors`) {
		t.Errorf("unexpected series:\n%s", got)
	}
	if strings.Contains(got, `getpaid_broker_request_errors_total{backend="payu",operation="parse_callback"}`) {
		t.Error("a refused notification was counted as a broker error: alerts on broker errors would fire on scanners")
	}
	if strings.Contains(got, `getpaid_broker_request_errors_total{backend="payu",operation="fetch_operation"}`) ||
		strings.Contains(got, `getpaid_broker_request_errors_total{backend="payu",operation="refund_event_ids"}`) {
		t.Error(`a lookup answered "not found" was counted as a broker error`)
	}
	if strings.Contains(got, `getpaid_broker_request_errors_total{backend="payu",operation="prepare"}`) {
		t.Error("a successful call was counted as an error")
	}
}

func TestBacklogFailureIsNotAZero(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{NoProcess: true, Backlog: backlog{err: getpaid.ErrUnavailable}})
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Result().Body)
	if strings.Contains(string(body), "getpaid_outbox_pending_deliveries 0") {
		t.Errorf("a failed backlog read was reported as an empty outbox:\n%s", body)
	}
	if w.Code != 200 || !strings.Contains(string(body), "getpaid_store_commit_failures_total 0") {
		t.Errorf("a failed backlog read broke the scrape: %d\n%s", w.Code, body)
	}
}

// TestCallbackOutcomesStartAtZero: a counter series that first appears at 1
// has no earlier sample, so Prometheus's increase() and rate() see no rise:
// README's GetpaidBuyerPaidTwice
// (increase(getpaid_callbacks_total{outcome="second_transaction"}[1h]) > 0)
// never fired for the first buyer who paid twice through a backend since
// the process started, which is the case it is there for. Every accepted
// outcome of every configured backend is there, at 0, from the start.
func TestCallbackOutcomesStartAtZero(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{Backends: []string{"payu", "dummy"}, NoProcess: true})
	got := scrape(t, m)
	for _, b := range []string{"payu", "dummy"} {
		for _, o := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate, getpaid.OutcomeNoChange,
			getpaid.OutcomeUnknown, getpaid.OutcomeSecondTransaction} {
			want := fmt.Sprintf(`getpaid_callbacks_total{backend=%q,outcome=%q} 0`, b, o)
			if !strings.Contains(got, want+"\n") {
				t.Errorf("scrape lacks %s: the first such callback is invisible to increase() and rate()", want)
			}
		}
	}
	if strings.Contains(got, `backend="other"`) {
		t.Errorf("a series for made-up backend names before any callback:\n%s", got)
	}
	// The first one counted is then a rise from 0 that alerts see.
	m.ObserveCallback(context.Background(), getpaid.CallbackReport{Backend: "payu", Outcome: getpaid.OutcomeSecondTransaction})
	if got := scrape(t, m); !strings.Contains(got, `getpaid_callbacks_total{backend="payu",outcome="second_transaction"} 1`+"\n") {
		t.Errorf("second_transaction not counted:\n%s", got)
	}
}

// getpaid_second_transactions_total, which README's GetpaidBuyerPaidTwice
// alert reads, is there at 0 for each configured backend from the start
// (the first buyer who paid twice is a rise increase() sees), and counts
// each transaction the engine's SecondTransaction hook names once, under
// "other" for a backend not configured.
func TestSecondTransactionsCounted(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{Backends: []string{"transferuj", "dummy"}, NoProcess: true})
	got := scrape(t, m)
	for _, b := range []string{"transferuj", "dummy"} {
		if want := fmt.Sprintf(`getpaid_second_transactions_total{backend=%q} 0`, b); !strings.Contains(got, want+"\n") {
			t.Errorf("scrape lacks %s: the first buyer who paid twice is invisible to increase()", want)
		}
	}
	ctx := context.Background()
	m.SecondTransaction(ctx, "transferuj", "pay_1", "TR-B")
	m.SecondTransaction(ctx, "transferuj", "pay_2", "TR-D")
	m.SecondTransaction(ctx, "gone", "pay_3", "TR-F")
	got = scrape(t, m)
	for _, want := range []string{
		`getpaid_second_transactions_total{backend="transferuj"} 2`,
		`getpaid_second_transactions_total{backend="dummy"} 0`,
		`getpaid_second_transactions_total{backend="other"} 1`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

// getpaid_clock_offset_seconds is there once measured, with the last
// offset (this instance's clock less the database server's), and not
// before: on SQLite, which shares the process's clock, it never is.
func TestClockOffsetGauge(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{NoProcess: true})
	if out := scrape(t, m); strings.Contains(out, "getpaid_clock_offset_seconds") {
		t.Errorf("the gauge is there before any measurement:\n%s", out)
	}
	m.ObserveClockOffset(3 * time.Second)
	m.ObserveClockOffset(-1500 * time.Millisecond)
	if out := scrape(t, m); !strings.Contains(out, "\ngetpaid_clock_offset_seconds -1.5\n") {
		t.Errorf("want getpaid_clock_offset_seconds -1.5:\n%s", out)
	}
}
