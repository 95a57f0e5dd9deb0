-- Console sign-in, shared by every instance: attempts are counted here, atomically and before
-- the password is checked, per account and per address, in windows of 15 minutes; a device
-- that signed in before is remembered (its cookie's SHA-256) so the address count never
-- applies to it; a session ends after a while without use (`last_seen_at`), and expired
-- sessions are deleted.

CREATE TABLE sign_in_attempts (
    key          TEXT PRIMARY KEY,
    attempts     BIGINT NOT NULL,
    window_start TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_window ON sign_in_attempts (window_start);

CREATE TABLE sign_in_devices (
    token_hash TEXT PRIMARY KEY,
    login      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sign_in_devices_expires ON sign_in_devices (expires_at);

ALTER TABLE web_sessions ADD COLUMN last_seen_at TEXT;
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
