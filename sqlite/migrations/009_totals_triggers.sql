-- +goose Up
-- The insert and update triggers come back (008 dropped them) for every
-- connection but the store's writer, which runs with triggers off
-- (SQLITE_DBCONFIG_ENABLE_TRIGGER, see writerTriggersOff) and keeps the
-- totals itself (sqlite/tally.go): without them, a getpaid older than 008
-- still running on the file during an upgrade, and anything else writing
-- payments (the sqlite3 shell, a tool on OpenDB), changed payments without
-- the totals. The totals are recounted: writes of that kind made since 008
-- are counted again.

-- +goose StatementBegin
CREATE TRIGGER payment_totals_insert AFTER INSERT ON payments BEGIN
	INSERT INTO payment_totals (day, status, backend, currency, count, amount)
	VALUES (NEW.created_at / 86400000000000, NEW.status, NEW.backend, NEW.currency, 1, NEW.amount)
	ON CONFLICT (day, status, backend, currency) DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER payment_totals_update AFTER UPDATE OF status, backend, currency, amount, created_at ON payments
WHEN OLD.status <> NEW.status OR OLD.backend <> NEW.backend OR OLD.currency <> NEW.currency
	OR OLD.amount <> NEW.amount OR OLD.created_at <> NEW.created_at
BEGIN
	UPDATE payment_totals SET count = count - 1, amount = amount - OLD.amount
	WHERE day = OLD.created_at / 86400000000000 AND status = OLD.status AND backend = OLD.backend AND currency = OLD.currency;
	INSERT INTO payment_totals (day, status, backend, currency, count, amount)
	VALUES (NEW.created_at / 86400000000000, NEW.status, NEW.backend, NEW.currency, 1, NEW.amount)
	ON CONFLICT (day, status, backend, currency) DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;
-- +goose StatementEnd

DELETE FROM payment_totals;
INSERT INTO payment_totals (day, status, backend, currency, count, amount)
	SELECT created_at / 86400000000000, status, backend, currency, COUNT(*), SUM(amount)
	FROM payments GROUP BY 1, 2, 3, 4;
