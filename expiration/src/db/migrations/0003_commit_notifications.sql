-- Every replica's outbox relay listens on "outbox": a commit that wrote events wakes the one
-- holding the relay lock, whichever replica committed (common/src/outbox/relay.ts).
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_notify AFTER INSERT ON "outbox" FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
