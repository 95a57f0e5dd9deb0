-- Named intake clients: each one-stop system posts notices with a token of its own, for the
-- agency subtree it serves (`agency_code`; NULL = every agency). Only the SHA-256 of the token
-- (hex) is stored: a leaked table lets no one post. A revoked client keeps its row (the name
-- is not reused, the list shows when it was revoked) and its token stops working at once.
-- The name follows the id rule `[a-z0-9][a-z0-9_.-]{0,63}`, checked by `intake-client add`.

CREATE TABLE intake_clients (
    name        TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    agency_code TEXT REFERENCES agencies (code),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
