-- The Zalo token refresh without a database lock across the network call: a short claim on the
-- token row (who refreshes, until when) replaces the row lock that was held during the OAuth
-- call. The claim is taken and released in statements of their own; the new pair is stored in a
-- short transaction of its own.
ALTER TABLE zalo_tokens ADD COLUMN claimed_by TEXT;
ALTER TABLE zalo_tokens ADD COLUMN claimed_until TEXT;

-- A Zalo sender paused by an error no retry can cure (configuration, a refused refresh token):
-- one row per OA while paused. Messages wait; `/healthz` names `zalo`; the console shows a
-- banner; `sipas-bot zalo resume` or the console's button deletes the row.
CREATE TABLE zalo_pause (
    oa_id     TEXT PRIMARY KEY,
    host      TEXT NOT NULL,
    code      INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    paused_at TEXT NOT NULL
);

-- Delivery receipts (`user_received_message`): when an invitation's message reached the phone.
ALTER TABLE zalo_invitations ADD COLUMN delivered_at TEXT;

-- Late events are accepted for `ZALO_EVENT_MAX_AGE_HOURS`: their dedup keys are kept at least as
-- long, and purged by age after.
CREATE INDEX zalo_events_received ON zalo_events (received_at);
