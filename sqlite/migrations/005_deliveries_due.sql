-- +goose Up
-- Claims walk deliveries_state by seq (oldest first) and stop at their limit;
-- nothing reads pending deliveries by next_at any more, so this index only
-- cost a write at every delivery's insert and finish.
DROP INDEX deliveries_due;

