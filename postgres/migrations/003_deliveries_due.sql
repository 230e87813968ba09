-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- Claims pick each consumer's due deliveries on their own (at most its room)
-- in the order they fell due: read along (consumer, next_at, event_seq),
-- in the claim's own order, so it stops at the room; neither
-- another consumer's backlog nor this consumer's deliveries waiting for a
-- later retry (an endpoint that is down piles them up) are walked. The index
-- by event_seq alone made a caught-up consumer's claim step over every
-- pending delivery of the others.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (consumer, next_at, event_seq) WHERE state = 'pending';

-- +goose Down
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (event_seq) WHERE state = 'pending';
