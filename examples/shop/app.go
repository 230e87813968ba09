package shop

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	// Step 1: import getpaid, the engine, the HTTP layer and the backends you enable.
	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
)

// Options configure the demo app.
type Options struct {
	DB          *sql.DB           // the shop's own table lives here
	Store       getpaid.Store     // getpaid's payments (the same SQLite file in the demo)
	BaseURL     string            // where the shop is reachable, "http://127.0.0.1:8000"
	DummySecret string            // the dummy broker's HMAC key
	Extra       []getpaid.Backend // more backends (the demo adds the broker simulators)
	Logger      *slog.Logger
	// ConfirmWait is how long the order page waits (refreshing) for a
	// broker's confirmation before it says the broker has not confirmed
	// the payment (default 20 s).
	ConfirmWait time.Duration
	// Refresh is how often a waiting order page reloads (default 1 s).
	Refresh time.Duration
}

// App is the wired shop.
type App struct {
	Shop    *Shop
	Engine  *engine.Engine
	Dummy   *dummy.Broker
	Handler http.Handler
}

// NewApp wires the shop to getpaid in the seven steps of the README.
func NewApp(ctx context.Context, opt Options) (*App, error) {
	// Step 2: choose the enabled backends; step 3: give each its settings.
	d, err := dummy.New(dummy.Config{Secret: opt.DummySecret})
	if err != nil {
		return nil, err
	}
	backends := append([]getpaid.Backend{{Name: "dummy", Title: "Dummy broker (test payments)", Broker: d}}, opt.Extra...)
	registry, err := getpaid.NewRegistry(backends...)
	if err != nil {
		return nil, err
	}

	shop, err := New(ctx, opt.DB, opt.BaseURL, opt.Logger)
	if err != nil {
		return nil, err
	}
	shop.reg = registry
	if opt.ConfirmWait > 0 {
		shop.confirmWait = opt.ConfirmWait
	}
	if opt.Refresh > 0 {
		shop.refresh = opt.Refresh
	}
	eng, err := engine.New(engine.Config{
		Store:    opt.Store,
		Registry: registry,
		// Where step 4 mounts the handler: every backend learns its callback
		// and return URLs (and the dummy paywall its own address) from it.
		BaseURL: opt.BaseURL + "/payments",
		// Step 6: listen to "new payment" and "status changed" events.
		Listeners: []engine.Listener{shop.OnPaymentEvent},
		Logger:    opt.Logger,
	})
	if err != nil {
		return nil, err
	}
	shop.eng = eng

	// Step 5: tell getpaid how to read an order (the shop is an OrderSource).
	payments, err := httpapi.New(httpapi.Config{Service: eng, Orders: shop, Logger: opt.Logger})
	if err != nil {
		return nil, fmt.Errorf("shop: %w", err)
	}
	// Step 4: mount one handler (Shop.Handler mounts it at /payments/).
	// Step 7: the order page links to /payments/pay/{order}: the payment-method
	// form, which lists only the backends accepting the order's currency.
	return &App{Shop: shop, Engine: eng, Dummy: d, Handler: shop.Handler(payments)}, nil
}
