-- Who can be reached on Zalo, and how. A consultation message is free for 48 hours after the
-- citizen's last interaction (following the OA, sending it a message or pressing a button),
-- billed up to 7 days, and refused after; so every interaction is remembered per Zalo user.
-- An invitation sent through Zalo gets a row: the message id of its template (a rating arrives
-- matched by it or by the tracking id, which is the invitation's token) and when Zalo became
-- out of reach for it (the window closed), so it is not retried blindly.

CREATE TABLE zalo_users (
    user_id             TEXT PRIMARY KEY,
    last_interaction_at TEXT NOT NULL,
    following           INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL
);

CREATE TABLE zalo_invitations (
    invitation_token TEXT PRIMARY KEY REFERENCES invitations (token),
    template_msg_id  TEXT,
    out_of_reach_at  TEXT,
    reason           TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX zalo_invitations_msg ON zalo_invitations (template_msg_id);
