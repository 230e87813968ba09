-- +goose Up
-- A broker's id of a payment is unique per backend through its digest: a
-- b-tree entry holds at most about 2.7 kB, so an index of the id as it is
-- refused the row of a payment whose broker named it with a longer id (a
-- notification's transaction id is the broker's to choose), and that
-- payment could never be recorded. Two ids share a digest only if they
-- collide under MD5; lookups compare the id itself too.
CREATE UNIQUE INDEX payments_backend_external_digest ON payments (backend, md5(external_id)) WHERE external_id <> '';
DROP INDEX payments_backend_external_id;

