-- The frame of the weighted index (issue 19 item 1): completed dossiers per agency, Vietnam day
-- of completion and submission channel, whether or not the citizen answered; and the answers of
-- completed responses per submission channel, so a summary can weight each (unit, channel)
-- stratum by its dossiers without reading answer rows.
--
-- `dossier_totals` is kept by triggers on `notices` (every insert counts, wherever it is made);
-- the channel totals are added in the transaction that completes a response and subtracted in
-- the one that withdraws it, like `answer_totals`. `totals rebuild` recomputes all three.

CREATE TABLE dossier_totals (
    agency_code        TEXT NOT NULL,
    day                TEXT NOT NULL,
    submission_channel TEXT NOT NULL,
    dossiers           INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day, submission_channel)
);

-- Unflagged completed responses per submission channel.
CREATE TABLE channel_response_totals (
    agency_code        TEXT NOT NULL,
    day                TEXT NOT NULL,
    submission_channel TEXT NOT NULL,
    responses          INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day, submission_channel)
);

-- Their scale answers per question and level ('' for a skip): what an index needs, nothing more.
CREATE TABLE channel_answer_totals (
    agency_code        TEXT NOT NULL,
    day                TEXT NOT NULL,
    submission_channel TEXT NOT NULL,
    question_id        TEXT NOT NULL,
    value              TEXT NOT NULL,
    count              INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day, submission_channel, question_id, value)
);

CREATE TRIGGER dossier_totals_insert AFTER INSERT ON notices BEGIN
    INSERT INTO dossier_totals (agency_code, day, submission_channel, dossiers)
    VALUES (NEW.agency_code, date(NEW.completed_at, '+7 hours'), NEW.submission_channel, 1)
    ON CONFLICT (agency_code, day, submission_channel) DO UPDATE SET dossiers = dossiers + 1;
END;

CREATE TRIGGER dossier_totals_delete AFTER DELETE ON notices BEGIN
    UPDATE dossier_totals SET dossiers = dossiers - 1
    WHERE agency_code = OLD.agency_code AND day = date(OLD.completed_at, '+7 hours')
      AND submission_channel = OLD.submission_channel;
END;

-- What existed before this migration.
INSERT INTO dossier_totals (agency_code, day, submission_channel, dossiers)
SELECT agency_code, date(completed_at, '+7 hours'), submission_channel, COUNT(*)
FROM notices GROUP BY agency_code, date(completed_at, '+7 hours'), submission_channel;

INSERT INTO channel_response_totals (agency_code, day, submission_channel, responses)
SELECT n.agency_code, date(r.submitted_at, '+7 hours'), n.submission_channel, COUNT(*)
FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code
WHERE r.flag IS NULL
GROUP BY n.agency_code, date(r.submitted_at, '+7 hours'), n.submission_channel;

INSERT INTO channel_answer_totals (agency_code, day, submission_channel, question_id, value, count)
SELECT n.agency_code, date(r.submitted_at, '+7 hours'), n.submission_channel, a.question_id,
       COALESCE(CAST(a.level AS TEXT), ''), COUNT(*)
FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code
JOIN answers a ON a.session_id = r.session_id
WHERE r.flag IS NULL AND a.kind = 'scale'
GROUP BY n.agency_code, date(r.submitted_at, '+7 hours'), n.submission_channel, a.question_id,
         COALESCE(CAST(a.level AS TEXT), '');
