-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- Cancelled payments, by their last change: polling takes a last look at
-- the broker for those that ended recently (money a buyer paid after the
-- payment expired, when no notification says so).
CREATE INDEX payments_ended ON payments (updated_at) WHERE status = 'cancelled';
