-- Leases of singleton workers (the Telegram long poller): one row per worker, held by one
-- instance until `expires_at` and renewed while it works. A dead holder's lease runs out and
-- another instance takes it. (On PostgreSQL the poller also holds an advisory lock on its own
-- connection, which ends with the connection; the row serves SQLite, which has no such lock.)

CREATE TABLE worker_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
