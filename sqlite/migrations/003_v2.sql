-- +goose Up
-- Broker event ids are deduplicated within their payment: two payments may
-- receive events that happen to share an id.
CREATE TABLE applied_events_by_payment (
	payment_id TEXT    NOT NULL,
	event_key  TEXT    NOT NULL,
	applied_at INTEGER NOT NULL,
	PRIMARY KEY (payment_id, event_key)
) WITHOUT ROWID;
INSERT INTO applied_events_by_payment (payment_id, event_key, applied_at)
	SELECT payment_id, event_key, applied_at FROM applied_events;
DROP TABLE applied_events;
ALTER TABLE applied_events_by_payment RENAME TO applied_events;

-- "One live payment per order" is a constraint over the payments created
-- under that policy.
ALTER TABLE payments ADD COLUMN one_live INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX payments_one_live ON payments (order_id)
	WHERE one_live = 1 AND status NOT IN ('failed', 'cancelled');

-- Money a broker holds for a payment that does not match it (an advance),
-- awaiting an operator's decision.
ALTER TABLE payments ADD COLUMN advance INTEGER NOT NULL DEFAULT 0;

-- The capture, release or cancel in flight at the broker (an operations id).
ALTER TABLE payments ADD COLUMN active_op TEXT NOT NULL DEFAULT '';

-- Stale polling claims: a waiting payment is not polled again (by any
-- process) before poll_after, unix nanoseconds.
ALTER TABLE payments ADD COLUMN poll_after INTEGER NOT NULL DEFAULT 0;

-- Listings, newest first, by status, backend or creation time.
CREATE INDEX payments_status_seq ON payments (status, seq);
CREATE INDEX payments_backend_seq ON payments (backend, seq);
CREATE INDEX payments_created_at ON payments (created_at);

-- Events are delivered per consumer (deliveries below), not flagged once.
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN delivered;
CREATE INDEX outbox_payment ON outbox (payment_id, seq);
ALTER TABLE outbox ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;

-- Money operations asked of brokers: capture, release, cancel, refund.
CREATE TABLE operations (
	seq             INTEGER PRIMARY KEY,
	id              TEXT    NOT NULL UNIQUE,
	payment_id      TEXT    NOT NULL REFERENCES payments (id),
	backend         TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	amount          INTEGER NOT NULL,
	currency        TEXT    NOT NULL,
	baseline        INTEGER NOT NULL DEFAULT 0,
	idempotency_key TEXT    NOT NULL DEFAULT '',
	request_hash    TEXT    NOT NULL DEFAULT '',
	broker_ref      TEXT    NOT NULL DEFAULT '',
	error           TEXT    NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_check_at   INTEGER NOT NULL DEFAULT 0,
	flagged         INTEGER NOT NULL DEFAULT 0,
	resolved_by     TEXT    NOT NULL DEFAULT '',
	note            TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX operations_key ON operations (payment_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX operations_payment ON operations (payment_id, seq);
CREATE INDEX operations_state ON operations (state, seq);
CREATE INDEX operations_due ON operations (next_check_at) WHERE state IN ('submitting', 'pending', 'unknown');

-- The delivery of each event to each consumer (listener or webhook).
CREATE TABLE deliveries (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	event_id     TEXT    NOT NULL,
	event_seq    INTEGER NOT NULL,
	payment_id   TEXT    NOT NULL,
	consumer     TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL,
	lease_owner  TEXT    NOT NULL DEFAULT '',
	lease_until  INTEGER NOT NULL DEFAULT 0,
	last_status  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_order ON deliveries (consumer, payment_id, event_seq) WHERE state = 'pending';
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_state ON deliveries (state, seq);
CREATE INDEX deliveries_payment ON deliveries (payment_id, seq);

-- Every attempt at a delivery, for operators.
CREATE TABLE delivery_attempts (
	delivery_id TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	duration    INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, at);
