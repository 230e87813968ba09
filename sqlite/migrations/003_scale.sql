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

-- Stale polling claims: a waiting payment is not polled again (by any
-- process) before poll_after, unix nanoseconds.
ALTER TABLE payments ADD COLUMN poll_after INTEGER NOT NULL DEFAULT 0;

-- Listings, newest first, by status, backend or creation time.
CREATE INDEX payments_status_seq ON payments (status, seq);
CREATE INDEX payments_backend_seq ON payments (backend, seq);
CREATE INDEX payments_created_at ON payments (created_at);
