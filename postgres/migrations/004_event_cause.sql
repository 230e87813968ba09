-- +goose Up
-- Why a status changed, as its history row says, carried by its event to
-- listeners and webhooks ("expired", "captured (COMPLETED)"). Events written
-- before have none.
ALTER TABLE outbox ADD COLUMN cause TEXT NOT NULL DEFAULT '';
