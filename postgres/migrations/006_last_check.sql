-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- What the reconciler's last check with the broker found when it settled
-- nothing: why an operation is still in doubt, for the operator.
ALTER TABLE operations ADD COLUMN last_check TEXT NOT NULL DEFAULT '';
