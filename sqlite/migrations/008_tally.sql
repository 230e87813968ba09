-- +goose Up
-- No change to the tables. From this version the store's writer connection
-- runs with triggers off and keeps payment_totals itself for its own writes
-- (sqlite/tally.go); the triggers go on counting every other connection's.
-- And whether a Store is alone on the file is now a counter in the marker
-- file beside it, which a getpaid before this version does not move: this
-- version number makes such a getpaid refuse the file (a database newer
-- than it knows) instead of opening it beside a newer one unseen.
SELECT 1;
