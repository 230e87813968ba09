package engine_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// methodDoc is the doc comment of the Engine method or the type called
// name, read from this package's source, so a test can hold the doc to what
// the code does.
func methodDoc(t *testing.T, name string) string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && d.Name.Name == name && d.Doc != nil {
					return strings.Join(strings.Fields(d.Doc.Text()), " ")
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name && d.Doc != nil {
						return strings.Join(strings.Fields(d.Doc.Text()), " ")
					}
				}
			}
		}
	}
	t.Fatalf("no doc comment on %s", name)
	return ""
}

// Every request Pay refuses before any broker call is a *getpaid.FieldError
// wrapping a sentinel that Pay's doc comment names, so a shop that sorts
// errors.Is(err, X) by that list (a 4xx for the buyer's request, a retry
// for the rest) sorts each one. The doc named ErrUnknownBackend,
// ErrCurrencyNotAccepted and ErrInvalidRequest, but an amount of nothing
// wraps ErrInvalidAmount and a currency not in ISO 4217 ErrUnknownCurrency:
// neither is ErrInvalidRequest.
func TestPayRefusalsAreTheDocumentedOnes(t *testing.T) {
	t.Parallel()
	sentinels := map[string]error{
		"ErrUnknownBackend": getpaid.ErrUnknownBackend, "ErrUnknownCurrency": getpaid.ErrUnknownCurrency,
		"ErrCurrencyNotAccepted": getpaid.ErrCurrencyNotAccepted, "ErrInvalidAmount": getpaid.ErrInvalidAmount,
		"ErrInvalidRequest": getpaid.ErrInvalidRequest,
	}
	doc := methodDoc(t, "Pay")
	ok := getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")}
	tests := []struct {
		name   string
		change func(*getpaid.PayRequest)
		want   string
	}{
		{"unknown backend", func(r *getpaid.PayRequest) { r.Backend = "nope" }, "ErrUnknownBackend"},
		{"no amount", func(r *getpaid.PayRequest) { r.Amount = getpaid.Money{} }, "ErrInvalidAmount"},
		{"amount of nothing", func(r *getpaid.PayRequest) { r.Amount.Minor = 0 }, "ErrInvalidAmount"},
		{"negative amount", func(r *getpaid.PayRequest) { r.Amount.Minor = -100 }, "ErrInvalidAmount"},
		{"amount too large", func(r *getpaid.PayRequest) { r.Amount.Minor = getpaid.MaxMinor + 1 }, "ErrInvalidAmount"},
		{"currency in lower case", func(r *getpaid.PayRequest) { r.Amount.Currency = "pln" }, "ErrUnknownCurrency"},
		{"currency the backend does not take", func(r *getpaid.PayRequest) { r.Amount.Currency = "EUR" }, "ErrCurrencyNotAccepted"},
		{"no order id", func(r *getpaid.PayRequest) { r.OrderID = "" }, "ErrInvalidRequest"},
		{"description too long", func(r *getpaid.PayRequest) { r.Description = strings.Repeat("x", 1025) }, "ErrInvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			e := newEngine(t, fb, memory.New())
			req := ok
			tc.change(&req)
			p, err := e.Pay(context.Background(), req)
			var fe *getpaid.FieldError
			if p != nil || !errors.As(err, &fe) || !errors.Is(err, sentinels[tc.want]) {
				t.Fatalf("Pay = %v, %v; want a *getpaid.FieldError wrapping getpaid.%s", p, err, tc.want)
			}
			if !strings.Contains(doc, tc.want) {
				t.Errorf("Pay's doc comment does not name %s, which %v wraps:\n%s", tc.want, err, doc)
			}
			if n := fb.prepares.Load(); n != 0 {
				t.Errorf("the broker was asked %d times", n)
			}
		})
	}
}
