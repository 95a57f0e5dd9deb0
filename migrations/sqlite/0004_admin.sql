-- Admins and the flow lifecycle: users with roles, web sessions, the audit log, which version of
-- each flow is in force, and which flow each agency subtree uses.

ALTER TABLE flow_versions ADD COLUMN owner_agency TEXT;
ALTER TABLE flow_versions ADD COLUMN created_by TEXT;
ALTER TABLE flow_versions ADD COLUMN published_at TEXT;

CREATE TABLE flow_current (
    flow_id         TEXT PRIMARY KEY,
    flow_version_id INTEGER NOT NULL REFERENCES flow_versions (id),
    updated_at      TEXT NOT NULL
);

CREATE TABLE flow_assignments (
    agency_code TEXT PRIMARY KEY,
    flow_id     TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE users (
    login           TEXT PRIMARY KEY,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    agency_code     TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users (login),
    csrf_token TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
