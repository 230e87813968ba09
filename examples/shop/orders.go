package shop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Product is something the shop sells.
type Product struct {
	SKU   string
	Name  string
	Price getpaid.Money
}

// Catalogue is what the demo shop sells: prices in several currencies, so the
// payment form shows that backends are offered by currency.
var catalogue = []Product{
	{"mug", "Coffee mug", getpaid.MustParseMoney("39.00", "PLN")},
	{"tshirt", "T-shirt", getpaid.MustParseMoney("25.50", "EUR")},
	{"stickers", "Sticker pack", getpaid.MustParseMoney("500", "JPY")},
	{"pen", "Gold-plated pen", getpaid.MustParseMoney("12.500", "KWD")},
}

// ShopOrder is an order as the shop keeps it.
type ShopOrder struct {
	ID        string
	SKU       string
	Name      string
	Price     getpaid.Money
	Email     string
	Paid      bool
	PaidEvent string // the event that marked it paid, kept to prove it happened once
	CreatedAt time.Time
}

const schema = `CREATE TABLE IF NOT EXISTS shop_orders (
	id TEXT PRIMARY KEY,
	sku TEXT NOT NULL,
	name TEXT NOT NULL,
	amount INTEGER NOT NULL,
	currency TEXT NOT NULL,
	email TEXT NOT NULL,
	paid INTEGER NOT NULL DEFAULT 0,
	paid_event TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
)`

func (s *Shop) migrate(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, schema)
	return err
}

func (s *Shop) placeOrder(ctx context.Context, sku, email string) (*ShopOrder, error) {
	var p *Product
	for i := range catalogue {
		if catalogue[i].SKU == sku {
			p = &catalogue[i]
		}
	}
	if p == nil {
		return nil, fmt.Errorf("shop: unknown product %q", sku)
	}
	o := &ShopOrder{ID: getpaid.NewID("ord"), SKU: p.SKU, Name: p.Name, Price: p.Price, Email: email, CreatedAt: time.Now().UTC()}
	_, err := s.db.ExecContext(ctx, `INSERT INTO shop_orders (id, sku, name, amount, currency, email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.SKU, o.Name, o.Price.Minor, o.Price.Currency, o.Email, o.CreatedAt.Format(time.RFC3339Nano))
	if err != nil {
		return nil, fmt.Errorf("shop: place order: %w", err)
	}
	return o, nil
}

func (s *Shop) shopOrder(ctx context.Context, id string) (*ShopOrder, error) {
	o := &ShopOrder{}
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT id, sku, name, amount, currency, email, paid, paid_event, created_at FROM shop_orders WHERE id = ?`, id).
		Scan(&o.ID, &o.SKU, &o.Name, &o.Price.Minor, &o.Price.Currency, &o.Email, &o.Paid, &o.PaidEvent, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("shop: order %q: %w", id, getpaid.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("shop: order %q: %w", id, err)
	}
	o.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return o, nil
}

// markPaid marks the order paid once: a repeated event changes nothing.
func (s *Shop) markPaid(ctx context.Context, orderID, eventID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE shop_orders SET paid = 1, paid_event = ? WHERE id = ? AND paid = 0`, eventID, orderID)
	return err
}
