package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/getpaid-go/getpaid/examples/shop"
	"github.com/getpaid-go/getpaid/sqlite"
)

// cmdDemo runs the demo shop on one SQLite file, with the dummy broker and the
// simulators of the real brokers, and nothing to set up.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	data := fs.String("data", "getpaid-data", "folder for the demo's SQLite file")
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	app, cleanup, err := startDemo(ctx, filepath.Join(*data, "getpaid.db"), base, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "getpaid demo shop: %s\n(data in %s; press Ctrl+C to stop)\n", base, filepath.Join(*data, "getpaid.db"))
	return serveUntilDone(ctx, ln, app.Handler, func(ctx context.Context) { app.Engine.Run(ctx, 10*time.Second) })
}

// startDemo wires the demo shop at base over the SQLite file dbPath.
func startDemo(ctx context.Context, dbPath, base string, log *slog.Logger) (*shop.App, func(), error) {
	store, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.OpenDB(dbPath, sqlite.Options{})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	sims, stopSims, err := demoSimulators()
	if err != nil {
		db.Close()
		store.Close()
		return nil, nil, err
	}
	app, err := shop.NewApp(ctx, shop.Options{DB: db, Store: store, BaseURL: base, DummySecret: "demo-dummy-secret", Extra: sims, Logger: log})
	if err != nil {
		stopSims()
		db.Close()
		store.Close()
		return nil, nil, err
	}
	return app, func() {
		app.Engine.Close()
		app.Dummy.Close()
		stopSims()
		db.Close()
		store.Close()
	}, nil
}
