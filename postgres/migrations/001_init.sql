-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- getpaid's PostgreSQL schema. Money is bigint minor units of currency;
-- times are timestamptz (microseconds: the store truncates its clock to
-- them); buyer and redirect are jsonb. seq gives creation order for
-- listings and the outbox.

-- Payments. The row is the unit of serialisation: every change of a payment
-- locks it (SELECT ... FOR UPDATE) for the length of one short transaction.
CREATE TABLE payments (
	id           text        PRIMARY KEY,
	seq          bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
	order_id     text        NOT NULL,
	backend      text        NOT NULL,
	status       text        NOT NULL,
	amount       bigint      NOT NULL,
	currency     text        NOT NULL,
	locked       bigint      NOT NULL DEFAULT 0,
	captured     bigint      NOT NULL DEFAULT 0,
	refunded     bigint      NOT NULL DEFAULT 0,
	refund_asked bigint      NOT NULL DEFAULT 0,
	advance      bigint      NOT NULL DEFAULT 0,
	external_id  text        NOT NULL DEFAULT '',
	description  text        NOT NULL DEFAULT '',
	buyer        jsonb       NOT NULL DEFAULT '{}',
	return_url   text        NOT NULL DEFAULT '',
	client_ip    text        NOT NULL DEFAULT '',
	redirect     jsonb,
	fraud        text        NOT NULL DEFAULT '',
	version      bigint      NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	-- Created under the one-live-payment-per-order policy.
	one_live     boolean     NOT NULL DEFAULT false,
	-- Stale polling claims: a waiting payment is not listed to any poller
	-- again before poll_after.
	poll_after   timestamptz NOT NULL DEFAULT '-infinity'
);
-- A broker's id names one payment of a backend.
CREATE UNIQUE INDEX payments_backend_external_id ON payments (backend, external_id) WHERE external_id <> '';
-- "One live payment per order" is a constraint over the payments created
-- under that policy, not a read then an insert.
CREATE UNIQUE INDEX payments_one_live ON payments (order_id)
	WHERE one_live AND status NOT IN ('failed', 'cancelled');
-- Listings, newest first, by order, status, backend or creation time.
CREATE INDEX payments_order_seq ON payments (order_id, seq);
CREATE INDEX payments_status_seq ON payments (status, seq);
CREATE INDEX payments_backend_seq ON payments (backend, seq);
CREATE INDEX payments_created_at ON payments (created_at);
-- Payments waiting on their broker, for polling. Partial: a payment enters
-- it once and leaves when the broker answers.
CREATE INDEX payments_waiting ON payments (updated_at) WHERE status IN ('prepared', 'charge_started');

-- Status history, one row per transition.
CREATE TABLE history (
	seq         bigint      GENERATED ALWAYS AS IDENTITY,
	payment_id  text        NOT NULL REFERENCES payments (id),
	from_status text        NOT NULL,
	to_status   text        NOT NULL,
	at          timestamptz NOT NULL,
	cause       text        NOT NULL DEFAULT '',
	PRIMARY KEY (payment_id, seq)
);

-- Broker event keys applied to a payment, at most once each: the primary
-- key is the dedupe, across every process sharing the database.
CREATE TABLE applied_events (
	payment_id text        NOT NULL REFERENCES payments (id),
	event_key  text        NOT NULL,
	applied_at timestamptz NOT NULL,
	PRIMARY KEY (payment_id, event_key)
);

-- Outbox of events for listeners, delivered at least once, oldest first
-- (by seq, which needs no index of its own: the pending ones are found by
-- outbox_pending, an event by its id).
CREATE TABLE outbox (
	id          text        PRIMARY KEY,
	seq         bigint      GENERATED ALWAYS AS IDENTITY,
	type        text        NOT NULL,
	payment_id  text        NOT NULL,
	order_id    text        NOT NULL,
	backend     text        NOT NULL,
	from_status text        NOT NULL DEFAULT '',
	to_status   text        NOT NULL,
	amount      bigint      NOT NULL,
	currency    text        NOT NULL,
	captured    bigint      NOT NULL,
	at          timestamptz NOT NULL,
	delivered   boolean     NOT NULL DEFAULT false
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE NOT delivered;
