-- +goose Up
-- Fewer index entries per delivery, the writer's work under a stream of
-- webhook deliveries:
-- * A delivery's id is its event's id and its consumer joined by '|'
--   (getpaid.DeliveryID), so its unique index finds an event's deliveries
--   as a range of ids: the index by event_id was a second copy of it.
-- * Listings by state read the delivered ones, nearly all of them, along
--   the table itself; the state index keeps the others only, so a delivery
--   delivered leaves it rather than moving within it.
-- * A delivery delivered at its first attempt keeps that attempt on its row
--   (at: delivered_at, status: last_status, duration: solo_duration) rather
--   than in delivery_attempts, where every other attempt is; a replay moves
--   it there before the delivery starts again.
DROP INDEX deliveries_event;
DROP INDEX deliveries_state;
CREATE INDEX deliveries_state ON deliveries (state, seq) WHERE state <> 'delivered';
ALTER TABLE deliveries ADD COLUMN solo_duration INTEGER;
