-- The Zalo channel: the OA's token pair (one row per OA; the refresh token is single-use and
-- rotates, so the current one must survive restarts and be shared by every instance), and the
-- inbox of webhook events (stored before we answer Zalo, processed after; a repeated delivery
-- has the same dedup key and changes nothing).

CREATE TABLE zalo_tokens (
    oa_id             TEXT PRIMARY KEY,
    access_token      TEXT,
    access_expires_at TEXT,
    refresh_token     TEXT NOT NULL,
    refresh_issued_at TEXT NOT NULL,
    generation        INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT NOT NULL
);

CREATE TABLE zalo_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key    TEXT NOT NULL UNIQUE,
    event_name   TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    lease_owner  TEXT,
    lease_until  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    processed_at TEXT
);
CREATE INDEX zalo_events_pending ON zalo_events (processed_at, id);

-- Short codes printed under the receipt's QR code: sent in the OA chat, a code opens its
-- invitation for the Zalo user who sent it first. Wrong codes are counted per Zalo user in a
-- window, so codes cannot be guessed by trying.
CREATE TABLE zalo_receipt_codes (
    code             TEXT PRIMARY KEY,
    invitation_token TEXT NOT NULL UNIQUE REFERENCES invitations (token),
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used_by          TEXT,
    used_at          TEXT
);

CREATE TABLE zalo_code_attempts (
    zalo_user_id      TEXT PRIMARY KEY,
    window_started_at TEXT NOT NULL,
    failures          INTEGER NOT NULL DEFAULT 0
);
