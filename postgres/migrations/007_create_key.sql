-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- The idempotency key a payment was created with (PayRequest.IdempotencyKey):
-- a retried create finds the payment the first request made.
ALTER TABLE payments ADD COLUMN create_key text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payments_create_key ON payments (create_key) WHERE create_key <> '';
