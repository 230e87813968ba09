-- +goose Up
-- Claims read each consumer's due deliveries in the order they fell due and
-- stop at their limit: by (consumer, next_at), so that neither another
-- consumer's backlog (an endpoint that is down piles up deliveries waiting
-- for their retry) nor deliveries not yet due are walked. The index by
-- next_at alone was never chosen for that.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (consumer, next_at) WHERE state = 'pending';
