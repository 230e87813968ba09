-- +goose Up
-- Payments: money as INTEGER minor units of currency; times as INTEGER unix
-- nanoseconds (UTC); buyer and redirect as JSON text. seq gives creation order.
CREATE TABLE payments (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	order_id     TEXT    NOT NULL,
	backend      TEXT    NOT NULL,
	status       TEXT    NOT NULL,
	amount       INTEGER NOT NULL,
	currency     TEXT    NOT NULL,
	locked       INTEGER NOT NULL DEFAULT 0,
	captured     INTEGER NOT NULL DEFAULT 0,
	refunded     INTEGER NOT NULL DEFAULT 0,
	refund_asked INTEGER NOT NULL DEFAULT 0,
	external_id  TEXT    NOT NULL DEFAULT '',
	description  TEXT    NOT NULL DEFAULT '',
	buyer        TEXT    NOT NULL DEFAULT '{}',
	return_url   TEXT    NOT NULL DEFAULT '',
	client_ip    TEXT    NOT NULL DEFAULT '',
	redirect     TEXT,
	fraud        TEXT    NOT NULL DEFAULT '',
	version      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX payments_backend_external_id ON payments (backend, external_id) WHERE external_id <> '';
CREATE INDEX payments_order_id ON payments (order_id, seq);

-- Status history, one row per transition.
CREATE TABLE history (
	seq         INTEGER PRIMARY KEY,
	payment_id  TEXT    NOT NULL REFERENCES payments (id),
	from_status TEXT    NOT NULL,
	to_status   TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	cause       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX history_payment_id ON history (payment_id, seq);

-- Broker event keys applied (at most once each).
CREATE TABLE applied_events (
	event_key  TEXT    PRIMARY KEY,
	payment_id TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Outbox of events for listeners, delivered at least once, oldest first.
CREATE TABLE outbox (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	type         TEXT    NOT NULL,
	payment_id   TEXT    NOT NULL,
	order_id     TEXT    NOT NULL,
	backend      TEXT    NOT NULL,
	from_status  TEXT    NOT NULL DEFAULT '',
	to_status    TEXT    NOT NULL,
	amount       INTEGER NOT NULL,
	currency     TEXT    NOT NULL,
	captured     INTEGER NOT NULL,
	at           INTEGER NOT NULL,
	delivered    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered = 0;
