-- +goose Up
-- The idempotency key a payment was created with (PayRequest.IdempotencyKey):
-- a retried create finds the payment the first request made.
ALTER TABLE payments ADD COLUMN create_key text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payments_create_key ON payments (create_key) WHERE create_key <> '';
