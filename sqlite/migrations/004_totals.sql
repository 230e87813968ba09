-- +goose Up
-- Running totals of payments per status, backend, currency and creation day
-- (day = created_at / 86400e9, UTC), kept by triggers in the same
-- transaction as every payment write: the operator console's totals for a
-- filter read these instead of counting millions of rows.
CREATE TABLE payment_totals (
	day      INTEGER NOT NULL,
	status   TEXT    NOT NULL,
	backend  TEXT    NOT NULL,
	currency TEXT    NOT NULL,
	count    INTEGER NOT NULL,
	amount   INTEGER NOT NULL,
	PRIMARY KEY (day, status, backend, currency)
) WITHOUT ROWID;

INSERT INTO payment_totals (day, status, backend, currency, count, amount)
	SELECT created_at / 86400000000000, status, backend, currency, COUNT(*), SUM(amount)
	FROM payments GROUP BY 1, 2, 3, 4;

-- The console filters listings by currency too.
CREATE INDEX payments_currency_seq ON payments (currency, seq);

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

-- +goose StatementBegin
CREATE TRIGGER payment_totals_delete AFTER DELETE ON payments BEGIN
	UPDATE payment_totals SET count = count - 1, amount = amount - OLD.amount
	WHERE day = OLD.created_at / 86400000000000 AND status = OLD.status AND backend = OLD.backend AND currency = OLD.currency;
END;
-- +goose StatementEnd
