-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- While an endpoint is down, each payment's first undelivered webhook waits
-- for its retry and the payment's later ones are due but wait behind it.
-- Along deliveries_due a claim read every one of those to find the few it
-- may send: its work grew with the outage. A pending delivery found waiting
-- behind an earlier pending one of its payment to its consumer is marked
-- held by the claim's sweep (at most once a minute per consumer and
-- process) and so leaves deliveries_ready, which claims walk; the result
-- that takes a delivery out of pending frees the next one of its payment
-- and consumer in the same transaction, and the sweep frees any held one
-- that nothing holds back any more (a result recorded by a getpaid older
-- than 009). The claim keeps its own check of earlier pending deliveries:
-- held only spares it work, it never lets one out of order. held is false
-- by default, so a getpaid older than 009 writes, claims (along
-- deliveries_due, kept for it) and finishes deliveries as before.
ALTER TABLE deliveries ADD COLUMN held boolean NOT NULL DEFAULT false;
CREATE INDEX deliveries_ready ON deliveries (consumer, next_at, event_seq) WHERE state = 'pending' AND NOT held;
