-- Durable delivery: every outgoing chat message is a row written in the same transaction as the
-- state change that caused it; reminders for citizens who chose "Để sau"; chats we know.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    channel          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    invitation_token TEXT,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX outbox_pending ON outbox (status, id);

CREATE TABLE reminders (
    invitation_token TEXT PRIMARY KEY REFERENCES invitations (token),
    channel          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'scheduled',
    created_at       TEXT NOT NULL
);
CREATE INDEX reminders_due ON reminders (status, due_at);

CREATE TABLE channel_chats (
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);
