-- Every replica's outbox relay listens on "outbox": a commit that wrote events wakes the one
-- holding the relay lock, whichever replica committed (common/src/outbox/relay.ts).
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_notify AFTER INSERT ON "outbox" FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
--> statement-breakpoint
-- Any change to the tickets for sale: every replica drops its cached pages (tickets_changed).
CREATE FUNCTION notify_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tickets_changed', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tickets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "tickets" FOR EACH STATEMENT EXECUTE FUNCTION notify_tickets_changed();
