-- The survey core: agencies, dossier notices, invitations, flow versions, sessions, responses,
-- answers, and processed inbound messages. Times are RFC 3339 UTC text (sorts as it reads).

CREATE TABLE agencies (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES agencies (code),
    level       TEXT NOT NULL CHECK (level IN ('tinh', 'so', 'huyen', 'xa')),
    created_at  TEXT NOT NULL
);

CREATE TABLE flow_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    source     TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'published',
    created_at TEXT NOT NULL,
    UNIQUE (flow_id, version)
);

CREATE TABLE notices (
    dossier_code       TEXT PRIMARY KEY,
    agency_code        TEXT NOT NULL,
    unknown_agency     INTEGER NOT NULL DEFAULT 0,
    procedure_code     TEXT NOT NULL,
    procedure_name     TEXT NOT NULL,
    submission_channel TEXT NOT NULL CHECK (submission_channel IN ('direct', 'online', 'postal')),
    completed_at       TEXT NOT NULL,
    recipient_chat_id  TEXT,
    received_at        TEXT NOT NULL
);

CREATE TABLE invitations (
    token           TEXT PRIMARY KEY,
    dossier_code    TEXT NOT NULL UNIQUE REFERENCES notices (dossier_code),
    flow_version_id INTEGER NOT NULL REFERENCES flow_versions (id),
    status          TEXT NOT NULL DEFAULT 'pending',
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX invitations_status ON invitations (status, expires_at);

CREATE TABLE survey_sessions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    invitation_token TEXT NOT NULL UNIQUE REFERENCES invitations (token),
    channel          TEXT NOT NULL,
    chat_ref         TEXT NOT NULL,
    lang             TEXT NOT NULL DEFAULT 'vi',
    flow_version_id  INTEGER NOT NULL REFERENCES flow_versions (id),
    state            TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'active',
    revision         INTEGER NOT NULL DEFAULT 0,
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX survey_sessions_chat ON survey_sessions (channel, chat_ref, status);

CREATE TABLE responses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      INTEGER NOT NULL UNIQUE REFERENCES survey_sessions (id),
    flow_version_id INTEGER NOT NULL REFERENCES flow_versions (id),
    dossier_code    TEXT NOT NULL REFERENCES notices (dossier_code),
    channel         TEXT NOT NULL,
    submitted_at    TEXT NOT NULL
);
CREATE INDEX responses_submitted ON responses (submitted_at);

CREATE TABLE answers (
    session_id      INTEGER NOT NULL REFERENCES survey_sessions (id),
    position        INTEGER NOT NULL,
    question_id     TEXT NOT NULL,
    flow_version_id INTEGER NOT NULL REFERENCES flow_versions (id),
    factor          TEXT,
    kind            TEXT NOT NULL,
    value           TEXT NOT NULL,
    level           INTEGER,
    skipped         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, question_id)
);

CREATE TABLE inbound_messages (
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
