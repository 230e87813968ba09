-- +goose Up
-- A status change writes one history row and one payment.status_changed
-- event with the same from, to, at and cause (getpaid.PlanUpdate decides
-- both), so from here on the event is the history row: a change writes one
-- row fewer. The history table keeps the rows written before, up to the
-- outbox seq history_end records; History reads them, then the status
-- events after it (see read.go).
--
-- A getpaid older than this migration still running on the file writes a
-- history row beside each status event: the trigger drops the row, as its
-- event already says the same (a getpaid older than migration 006 wrote
-- events without their cause; such a process's later changes read back
-- without one). The old process itself then reads no history for what it
-- changes after the migration, until it is replaced.
CREATE TABLE history_end (outbox_seq INTEGER NOT NULL);
INSERT INTO history_end (outbox_seq) SELECT coalesce(max(seq), 0) FROM outbox;
-- +goose StatementBegin
CREATE TRIGGER history_in_outbox AFTER INSERT ON history BEGIN
	DELETE FROM history WHERE seq = NEW.seq;
END;
-- +goose StatementEnd
