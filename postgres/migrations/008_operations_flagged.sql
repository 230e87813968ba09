-- +goose Up
-- Every migration gives up on a lock it waits 5 s for (see migrationLockWait).
SET LOCAL lock_timeout = '5s';
-- The operations flagged for an operator (the console's "Needs attention"
-- page, GET /api/v1/operations?flagged=true, getpaid operations --flagged),
-- newest first. Without it that listing read every operation ever made to
-- find the few flagged. Partial: an operation enters it when the reconciler
-- flags it and leaves it when it settles; the others, nearly all, have no
-- entry, so an insert or a change of an unflagged operation writes none.
CREATE INDEX operations_flagged ON operations (seq) WHERE flagged;
