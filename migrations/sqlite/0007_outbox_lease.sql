-- Leases on outbox rows: a worker claims a batch of rows for itself until a time; a row whose
-- lease ran out (its instance died) is claimed again by any instance. Only the oldest unfinished
-- row of each chat is claimable, so a chat's order holds across instances; this index finds it.

ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE INDEX outbox_chat_open ON outbox (channel, chat_id, status, id);
