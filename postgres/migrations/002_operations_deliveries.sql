-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- Money operations (capture, release, cancel, refund) and the delivery of
-- every event to every consumer (listeners, webhook endpoints), each leased
-- to one process at a time.

-- The capture, release or cancel in flight at the broker (an operations id).
ALTER TABLE payments ADD COLUMN active_op text NOT NULL DEFAULT '';

-- Events are delivered per consumer (deliveries below), not flagged once.
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN delivered;
ALTER TABLE outbox ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
-- Events of a payment, newest first; every event, newest first (by seq).
CREATE INDEX outbox_payment ON outbox (payment_id, seq);
CREATE UNIQUE INDEX outbox_seq ON outbox (seq);

-- Money operations asked of brokers. A row changes only in the transaction
-- that changes its payment (which holds the payment's row lock), or when the
-- reconciler claims it (next_check_at, under FOR UPDATE SKIP LOCKED).
-- next_check_at is Go's zero time (0001-01-01 UTC) when no check is set.
CREATE TABLE operations (
	id              text        PRIMARY KEY,
	seq             bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
	payment_id      text        NOT NULL REFERENCES payments (id),
	backend         text        NOT NULL,
	kind            text        NOT NULL,
	state           text        NOT NULL,
	amount          bigint      NOT NULL,
	currency        text        NOT NULL,
	baseline        bigint      NOT NULL DEFAULT 0,
	idempotency_key text        NOT NULL DEFAULT '',
	request_hash    text        NOT NULL DEFAULT '',
	broker_ref      text        NOT NULL DEFAULT '',
	error           text        NOT NULL DEFAULT '',
	attempts        integer     NOT NULL DEFAULT 0,
	next_check_at   timestamptz NOT NULL,
	flagged         boolean     NOT NULL DEFAULT false,
	resolved_by     text        NOT NULL DEFAULT '',
	note            text        NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
-- A caller's idempotency key names one operation of a payment.
CREATE UNIQUE INDEX operations_key ON operations (payment_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX operations_payment ON operations (payment_id, seq);
CREATE INDEX operations_state ON operations (state, seq);
-- Operations the reconciler may have to check.
CREATE INDEX operations_due ON operations (next_check_at) WHERE state IN ('submitting', 'pending', 'unknown');

-- The delivery of each event to each consumer. A pending delivery is leased
-- (lease_owner until lease_until) to the process attempting it; event_seq is
-- its event's place in the outbox, for delivering a payment's events to a
-- consumer in order.
CREATE TABLE deliveries (
	id           text        PRIMARY KEY,
	seq          bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
	event_id     text        NOT NULL REFERENCES outbox (id),
	event_seq    bigint      NOT NULL,
	payment_id   text        NOT NULL,
	consumer     text        NOT NULL,
	state        text        NOT NULL,
	attempts     integer     NOT NULL DEFAULT 0,
	next_at      timestamptz NOT NULL,
	lease_owner  text        NOT NULL DEFAULT '',
	lease_until  timestamptz NOT NULL DEFAULT '-infinity',
	last_status  integer     NOT NULL DEFAULT 0,
	last_error   text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	delivered_at timestamptz
);
-- "An earlier pending delivery of this payment to this consumer".
CREATE INDEX deliveries_order ON deliveries (consumer, payment_id, event_seq) WHERE state = 'pending';
-- Pending deliveries, oldest event first, for claiming.
CREATE INDEX deliveries_due ON deliveries (event_seq) WHERE state = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_state ON deliveries (state, seq);
CREATE INDEX deliveries_payment ON deliveries (payment_id, seq);

-- Every attempt at a delivery, for operators.
CREATE TABLE delivery_attempts (
	delivery_id text        NOT NULL REFERENCES deliveries (id),
	seq         bigint      GENERATED ALWAYS AS IDENTITY,
	at          timestamptz NOT NULL,
	status      integer     NOT NULL,
	error       text        NOT NULL,
	duration    bigint      NOT NULL, -- nanoseconds
	PRIMARY KEY (delivery_id, seq)
);
