-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- Why a status changed, as its history row says, carried by its event to
-- listeners and webhooks ("expired", "captured (COMPLETED)"). Events written
-- before have none.
ALTER TABLE outbox ADD COLUMN cause TEXT NOT NULL DEFAULT '';
