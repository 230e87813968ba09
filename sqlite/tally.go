package sqlite

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/getpaid-go/getpaid"
)

// tallyKey is a row of payment_totals: one creation day, status, backend
// and currency.
type tallyKey struct {
	day                       int64
	status, backend, currency string
}

// tallyDelta is what a row's count and amount change by.
type tallyDelta struct{ count, amount int64 }

// tally is what payment writes change in payment_totals. The writer keeps
// the table itself for its own writes, with a tally per job added to its
// batch's when the job is kept, and writes the batch's (a few rows: payments
// of a batch share days, backends and currencies) just before the batch
// commits. Its connection runs without triggers (writerTriggersOff): the
// totals triggers made every payment write a statement SQLite journals to
// undo alone, and ran the upsert once per write. They stay in the schema
// for every other connection writing payments: another getpaid, one older
// than migration 008 still running during an upgrade, a tool (beside a lone
// getpaid, the writer drops its cached copies when it sees the tool's
// commit, so it counts from what the tool wrote: see cache).
type tally map[tallyKey]tallyDelta

// keyOf is the row of payment p, created at created.
func keyOf(p *getpaid.Payment, created time.Time) tallyKey {
	return tallyKey{day: nanos(created) / day, status: string(p.Status), backend: p.Backend, currency: p.Amount.Currency}
}

// bump changes row k by count and amount.
func (t *tally) bump(k tallyKey, count, amount int64) {
	if *t == nil {
		*t = tally{}
	}
	d := (*t)[k]
	d.count += count
	d.amount += amount
	(*t)[k] = d
}

// created counts a new payment p.
func (t *tally) created(p *getpaid.Payment) {
	t.bump(keyOf(p, p.CreatedAt), 1, p.Amount.Minor)
}

// moved counts the change of cur into p, written over cur's row, which keeps
// its creation time (neither update statement writes created_at).
func (t *tally) moved(cur, p *getpaid.Payment) {
	if cur.Status == p.Status && cur.Backend == p.Backend && cur.Amount == p.Amount {
		return
	}
	t.bump(keyOf(cur, cur.CreatedAt), -1, -cur.Amount.Minor)
	t.bump(keyOf(p, cur.CreatedAt), 1, p.Amount.Minor)
}

// take adds from's changes to t and empties from.
func (t *tally) take(from tally) {
	for k, d := range from {
		t.bump(k, d.count, d.amount)
	}
	clear(from)
}

// upsertTally adds one row's change to payment_totals.
const upsertTally = `INSERT INTO payment_totals (day, status, backend, currency, count, amount) VALUES (?,?,?,?,?,?)
	ON CONFLICT (day, status, backend, currency) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount`

// writeTally writes the batch's tally, before its commit.
func (tx *wtx) writeTally() error {
	for k, d := range tx.tally {
		if d == (tallyDelta{}) {
			continue
		}
		if _, err := tx.st.upsertTally.ExecContext(tx.ctx, k.day, k.status, k.backend, k.currency, d.count, d.amount); err != nil {
			return fmt.Errorf("sqlite: payment totals: %w", err)
		}
	}
	clear(tx.tally)
	return nil
}

// writerTriggersOff turns triggers off on the writer's connection, before
// its statements are prepared: the totals triggers count every other
// connection's payment writes, and the writer counts its own (tally). It
// reports false, the triggers left to count the writer's writes too, with a
// driver that cannot (another than DefaultDriver): then the writer must not
// write its tally.
func writerTriggersOff(conn *sql.Conn) (bool, error) {
	off := false
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(sqlite3driver.Conn)
		if !ok {
			return nil
		}
		on, err := c.Raw().Config(sqlite3.DBCONFIG_ENABLE_TRIGGER, false)
		off = err == nil && !on
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: writer without triggers: %w", err)
	}
	return off, nil
}
