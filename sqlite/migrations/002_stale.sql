-- +goose Up
-- Payments waiting on their broker, for the engine's polling of payments
-- whose notifications never came. Partial: each payment enters it once and
-- leaves it when the broker answers.
CREATE INDEX payments_waiting ON payments (updated_at) WHERE status IN ('prepared', 'charge_started');
