-- `/healthz` writes here: a database that answers reads but refuses writes (a held write lock,
-- a full disk, a read-only replica) is not healthy.

CREATE TABLE health_heartbeats (
    name    TEXT PRIMARY KEY,
    beat_at TEXT NOT NULL
);
