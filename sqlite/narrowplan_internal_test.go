package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// TestListingWalksTheNarrowestFilter: a payment listing by two or three of
// status, backend and currency walks the index of the filter fewest
// payments match (of an order or a create key: theirs). SQLite, without
// statistics, took the backend's for a status and a backend, even for an
// order and a backend: the console's five payments stuck in
// charge_started at PayU, or an order's payments at PayU, were found by
// reading every PayU payment ever made; so were the totals the console
// shows beside an order's. 400 payments, paid at PayU in PLN but for five of each of
// charge_started, tpay and EUR.
func TestListingWalksTheNarrowestFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "narrow.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := range 400 {
		status, backend, currency := "paid", "payu", "PLN"
		switch {
		case i%80 == 1:
			status = "charge_started"
		case i%80 == 2:
			backend = "tpay"
		case i%80 == 3:
			currency = "EUR"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, order_id, backend, status, amount, currency, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1000, ?, 1, ?, ?)`, fmt.Sprint("pay_", i), fmt.Sprint("o", i), backend, status, currency, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		f     getpaid.PaymentFilter
		index string
	}{
		{"a rare status at the usual backend", getpaid.PaymentFilter{Status: getpaid.StatusChargeStarted, Backend: "payu"}, "payments_status_seq"},
		{"the usual status at a rare backend", getpaid.PaymentFilter{Status: getpaid.StatusPaid, Backend: "tpay"}, "payments_backend_seq"},
		{"a rare currency", getpaid.PaymentFilter{Status: getpaid.StatusPaid, Backend: "payu", Currency: "EUR"}, "payments_currency_seq"},
		{"a rare status in the usual currency", getpaid.PaymentFilter{Status: getpaid.StatusChargeStarted, Currency: "PLN"}, "payments_status_seq"},
		{"an order at the usual backend", getpaid.PaymentFilter{OrderID: "o7", Status: getpaid.StatusPaid, Backend: "payu"}, "payments_order_id"},
		{"a create key at the usual backend", getpaid.PaymentFilter{CreateKey: "k7", Backend: "payu"}, "payments_create_key"},
		{"an order alone", getpaid.PaymentFilter{OrderID: "o7"}, "payments_order_id"},
		{"a status alone", getpaid.PaymentFilter{Status: getpaid.StatusChargeStarted}, "payments_status_seq"},
	} {
		table, w := s.paymentListing(ctx, tc.f)
		if plan := explain(t, s, pageSQL(table, paymentCols, w, 51), w.args); !strings.Contains(plan, "INDEX "+tc.index+" ") {
			t.Errorf("%s: plan %q; want index %s", tc.name, plan, tc.index)
		}
	}
	// PaymentTotals of the console's listing: an order's or a key's
	// payments are counted along their index.
	for _, tc := range []struct {
		name  string
		f     getpaid.PaymentFilter
		index string
	}{
		{"an order at the usual backend", getpaid.PaymentFilter{OrderID: "o7", Backend: "payu"}, "payments_order_id"},
		{"an order in the usual currency", getpaid.PaymentFilter{OrderID: "o7", Currency: "PLN"}, "payments_order_id"},
		{"a create key at the usual backend", getpaid.PaymentFilter{CreateKey: "k7", Backend: "payu"}, "payments_create_key"},
	} {
		q, args := keyCountSQL(tc.f)
		if plan := explain(t, s, q, args); !strings.Contains(plan, "INDEX "+tc.index+" ") {
			t.Errorf("totals of %s: plan %q; want index %s", tc.name, plan, tc.index)
		}
	}
}
