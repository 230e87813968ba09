-- +goose Up
-- A delivery written behind an earlier pending one of its payment to its
-- consumer that its writer could not lease (an endpoint down: the first
-- waits for its retry) is held: apart in deliveries_due (held = 1), so
-- that a claim, which walks that index, no longer reads every such
-- delivery to find the few it may send. The one it waits behind is marked blocks; when that one
-- leaves pending (delivered, dead or discarded by its result), the
-- statement recording it reads blocks back (RETURNING) and frees the next
-- pending one of its payment and consumer in the same transaction (a
-- consumer's deliveries discarded all at once take those held too). A
-- delivery not held that waits all the same (written without a lease,
-- replayed, backfilled) is still turned away by the claim's own check, as
-- before: held only spares claims work, it never lets one out of order.
-- (No trigger: the writer runs with triggers off, see tally.go.) Reading
-- blocks back is all a result for a delivery that blocks none costs (nearly
-- all of them: a healthy endpoint never holds one).
ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN blocks INTEGER NOT NULL DEFAULT 0;
DROP INDEX deliveries_due;
-- held is in the key, not in the index's WHERE: a claim reads the due ones
-- not held (consumer, held = 0, next_at), the sweep below the held ones
-- (consumer, held = 1), and the claim of a getpaid older than 014 still
-- running on the file (an upgrade: INDEXED BY deliveries_due, WHERE state =
-- 'pending' alone) can still use it: with held in the index's WHERE it
-- failed ("no query solution"), and that getpaid claimed nothing. A
-- pending delivery has one entry in it, held or not, as before 014.
CREATE INDEX deliveries_due ON deliveries (consumer, held, next_at) WHERE state = 'pending';
-- The claim's sweep (at most once a minute) frees a held one whose earlier
-- deliveries all left pending by a path that did not free it (a getpaid
-- older than 014 on the same file records results without it): held may
-- delay a delivery, never keep it.
