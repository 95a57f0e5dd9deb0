-- Officials' chats subscribed to an agency's weekly summary, the single-use codes that
-- authorize them, the summaries already sent (one per subscription and week, across restarts
-- and instances), and the responses already alerted on.

CREATE TABLE subscription_codes (
    code         TEXT PRIMARY KEY,
    agency_code  TEXT NOT NULL REFERENCES agencies (code),
    points_max   REAL,
    weekday      INTEGER NOT NULL DEFAULT 1,
    hour         INTEGER NOT NULL DEFAULT 8,
    xlsx         INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    used_at      TEXT,
    used_by_chat TEXT
);

CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    chat_title  TEXT,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    points_max  REAL,
    weekday     INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    xlsx        INTEGER NOT NULL DEFAULT 0,
    next_run_at TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    UNIQUE (channel, chat_id, agency_code)
);
CREATE INDEX subscriptions_due ON subscriptions (active, next_run_at);

CREATE TABLE summary_runs (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    week            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (subscription_id, week)
);

CREATE TABLE alerted_responses (
    response_id INTEGER PRIMARY KEY REFERENCES responses (id),
    created_at  TEXT NOT NULL
);
