package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// callback check reads a PostgreSQL database as it reads SQLite (looking
// the payment up, changing nothing), and never prints the database's
// password: its output is pasted into tickets and chats.
func TestCallbackCheckOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	path := writeConfig(t, "database: "+dsn+"\nbackends:\n  dummy:\n    secret: s3cret\n")
	var password string // shown as ":password@" (it may equal the user name)
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		password, _ = u.User.Password()
	}
	t.Run("a database not migrated is named without its password", func(t *testing.T) {
		body, sig := dummy.EncodeCallback("s3cret", dummy.Callback{PaymentID: "pay_x", EventID: "e0", Status: "paid", Amount: "1.00", Currency: "PLN"})
		code, out, stderr := runCLI(t, string(body), "callback", "check", "--config", path, "--backend", "dummy", "--header", "Dummy-Signature: "+sig)
		if code != 0 || !strings.Contains(out, "payment not looked up") {
			t.Fatalf("code %d:\n%s%s", code, out, stderr)
		}
		if password != "" && strings.Contains(out+stderr, ":"+password+"@") {
			t.Fatalf("the output shows the database password:\n%s%s", out, stderr)
		}
	})
	if _, err := migrateStore(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	p := payWithServer(t, path)
	tests := []struct {
		name string
		cb   dummy.Callback
		code int
		want []string
	}{
		{"would apply", dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "12.34", Currency: "PLN"}, 0,
			[]string{"valid\n", "found: payment " + p.ID, "would change the payment: prepared -> paid"}},
		{"unknown payment", dummy.Callback{PaymentID: "pay_nope", EventID: "e2", Status: "paid", Amount: "12.34", Currency: "PLN"}, 1,
			[]string{"valid\n", "ignored: getpaid has no payment pay_nope"}},
		{"wrong amount", dummy.Callback{PaymentID: p.ID, EventID: "e3", Status: "paid", Amount: "1.00", Currency: "PLN"}, 1,
			[]string{"refused:", "payment is 12.34 PLN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, sig := dummy.EncodeCallback("s3cret", tt.cb)
			code, out, stderr := runCLI(t, string(body), "callback", "check", "--config", path, "--backend", "dummy", "--header", "Dummy-Signature: "+sig)
			if code != tt.code {
				t.Fatalf("code %d, want %d:\n%s%s", code, tt.code, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+stderr, w) {
					t.Fatalf("output lacks %q:\n%s%s", w, out, stderr)
				}
			}
			if password != "" && strings.Contains(out+stderr, ":"+password+"@") {
				t.Fatalf("the output shows the database password:\n%s%s", out, stderr)
			}
		})
	}
	got, err := func() (*getpaid.Payment, error) {
		s, err := openStore(ctx, dsn)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		return s.Payment(ctx, p.ID)
	}()
	if err != nil || got.Status != getpaid.StatusPrepared {
		t.Fatalf("after the checks: %+v, %v; want the payment prepared, unchanged", got, err)
	}
}
