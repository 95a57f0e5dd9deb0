-- Running totals, so summaries read counts instead of answer rows (issue 9 item 3), integrity
-- flags on responses (issue 10 item 1) and withdrawn invitations (issue 10 item 3).
--
-- A total's `day` is the Vietnam date (UTC+7, no daylight saving) of the response's submission
-- or the invitation's creation: every reporting period (week, month, quarter, year) is a whole
-- number of Vietnam days, so a period is a range of days.

-- Scopes are read with a recursive query down parent_code.
CREATE INDEX agencies_parent ON agencies (parent_code);

-- When each answer was given: the reading-speed check compares consecutive answers.
ALTER TABLE answers ADD COLUMN answered_at TEXT;

-- NULL for an honest-looking response; otherwise why it was flagged ('many_dossiers', 'too_fast').
ALTER TABLE responses ADD COLUMN flag TEXT;
CREATE INDEX responses_flag ON responses (flag);

-- Unflagged answers of completed responses, one count per key. `value` is the level ('1'..'5',
-- '' for a skip) of a scale answer, the option of a choice (one row per option picked), or the
-- answer of a yes/no question. Free text is not totalled.
CREATE TABLE answer_totals (
    agency_code     TEXT NOT NULL,
    day             TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    flow_version_id INTEGER NOT NULL,
    question_id     TEXT NOT NULL,
    value           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    count           INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day, procedure_code, flow_version_id, question_id, value)
);

-- Completed responses: `responses` counts those in the index, `flagged` those kept apart.
CREATE TABLE response_totals (
    agency_code     TEXT NOT NULL,
    day             TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    flow_version_id INTEGER NOT NULL,
    procedure_name  TEXT NOT NULL,
    responses       INTEGER NOT NULL DEFAULT 0,
    flagged         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (agency_code, day, procedure_code, flow_version_id)
);

-- Invitations by creation day and current status, kept by triggers so that every status change,
-- wherever it is made, moves the count.
CREATE TABLE invitation_totals (
    agency_code TEXT NOT NULL,
    day         TEXT NOT NULL,
    status      TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day, status)
);

CREATE TRIGGER invitation_totals_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO invitation_totals (agency_code, day, status, count)
    SELECT n.agency_code, date(NEW.created_at, '+7 hours'), NEW.status, 1
    FROM notices n WHERE n.dossier_code = NEW.dossier_code
    ON CONFLICT (agency_code, day, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER invitation_totals_update AFTER UPDATE OF status ON invitations
WHEN OLD.status <> NEW.status BEGIN
    UPDATE invitation_totals SET count = count - 1
    WHERE day = date(OLD.created_at, '+7 hours') AND status = OLD.status
      AND agency_code = (SELECT agency_code FROM notices WHERE dossier_code = OLD.dossier_code);
    INSERT INTO invitation_totals (agency_code, day, status, count)
    SELECT n.agency_code, date(NEW.created_at, '+7 hours'), NEW.status, 1
    FROM notices n WHERE n.dossier_code = NEW.dossier_code
    ON CONFLICT (agency_code, day, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER invitation_totals_delete AFTER DELETE ON invitations BEGIN
    UPDATE invitation_totals SET count = count - 1
    WHERE day = date(OLD.created_at, '+7 hours') AND status = OLD.status
      AND agency_code = (SELECT agency_code FROM notices WHERE dossier_code = OLD.dossier_code);
END;

-- Invitations that existed before this migration.
INSERT INTO invitation_totals (agency_code, day, status, count)
SELECT n.agency_code, date(i.created_at, '+7 hours'), i.status, COUNT(*)
FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
GROUP BY n.agency_code, date(i.created_at, '+7 hours'), i.status;
