-- +goose Up
-- The store's writer keeps payment_totals itself, a batch's changes in one
-- upsert per row before it commits (sqlite/tally.go): these triggers made
-- SQLite journal every payment write to be able to undo it alone, and ran
-- once per write. Deleting a payment (only tests and tools do) still
-- updates the totals through payment_totals_delete.
DROP TRIGGER payment_totals_insert;
DROP TRIGGER payment_totals_update;
