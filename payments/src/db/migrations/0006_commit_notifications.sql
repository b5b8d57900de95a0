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
-- The replica of an order arrived or changed: a payment waiting for it in any replica wakes.
CREATE FUNCTION notify_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_changed', NEW.id::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER order_changed AFTER INSERT OR UPDATE ON "orders" FOR EACH ROW EXECUTE FUNCTION notify_order_changed();
