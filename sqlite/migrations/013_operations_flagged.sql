-- +goose Up
-- The operations flagged for an operator (the console's "Needs attention"
-- page, GET /api/v1/operations?flagged=true, getpaid operations --flagged),
-- newest first. Without it that listing read every operation ever made to
-- find the few flagged. Partial: an operation enters it when the reconciler
-- flags it and leaves it when it settles; the others, nearly all, have no
-- entry, so writing an operation costs no more than evaluating flagged = 1.
CREATE INDEX operations_flagged ON operations (seq) WHERE flagged = 1;
