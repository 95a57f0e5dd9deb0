-- The free-text answers of completed responses, with their agency and submission time, so a
-- summary's "latest comments" reads the few it shows through an index instead of walking every
-- response of the period in its scope (issue 9: 8.8 s of a province summary's 13 s when the
-- period had no comment at all). Written in the transaction that completes a response, deleted
-- with it on withdrawal, and recomputed by `totals rebuild`.
CREATE TABLE response_comments (
    response_id  INTEGER NOT NULL REFERENCES responses (id),
    position     INTEGER NOT NULL,
    agency_code  TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    question_id  TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (response_id, position)
);
CREATE INDEX response_comments_recent ON response_comments (agency_code, submitted_at);

INSERT INTO response_comments (response_id, position, agency_code, submitted_at, question_id, value)
SELECT r.id, a.position, n.agency_code, r.submitted_at, a.question_id, a.value
FROM responses r
JOIN notices n ON n.dossier_code = r.dossier_code
JOIN answers a ON a.session_id = r.session_id
WHERE a.kind = 'text' AND a.value <> '';
