-- +goose NO TRANSACTION
-- +goose Up
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
-- Not in one transaction: deliveries_ready is built CONCURRENTLY, which no
-- transaction may hold. Built in the migration's transaction, after its
-- ALTER TABLE, it kept ACCESS EXCLUSIVE (and SHARE) on deliveries for the
-- whole build over a large table: the running servers' writes of
-- deliveries (every payment change) and their claims waited for it. Each
-- step below can be run again after a failure half way (the next run does
-- what is left): the ALTER TABLE in a transaction of its own, bounded by
-- lock_timeout as every migration's locks are (see migrationLockWait); an
-- index a failed or cancelled build left behind, invalid, is dropped (as
-- briefly, and bounded the same); the concurrent build takes SHARE UPDATE
-- EXCLUSIVE, which none of the servers' statements waits for, and itself
-- waits for the transactions older than it to end, for as long as they last.
BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT false;
COMMIT;
-- +goose StatementBegin
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('deliveries_ready') AND NOT indisvalid) THEN
		SET LOCAL lock_timeout = '5s';
		DROP INDEX deliveries_ready;
	END IF;
END
$$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_ready ON deliveries (consumer, next_at, event_seq) WHERE state = 'pending' AND NOT held;
