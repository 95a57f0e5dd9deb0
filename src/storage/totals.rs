//! Running totals: what summaries, `/report`, ranks and trends read instead of answer rows.
//!
//! Counts are kept per agency, Vietnam day, procedure and flow version: `answer_totals` per
//! question and level or option, `response_totals` per response (index and flagged apart).
//! A day (not an ISO week) is the unit because every reporting period — week, month, quarter,
//! year — is a whole number of Vietnam days, so one table serves them all with a day range.
//! [`count_response`] adds or subtracts one response inside the caller's transaction: the one
//! that completes it, clears its flag or withdraws it. Invitation totals are kept by triggers
//! (see migration 0008), so every status change anywhere moves them.
//!
//! A scope is read with a recursive query down `parent_code`, never with a list of codes, so a
//! national tree of 10,000 agencies costs one query per figure on both backends.

use super::columns::{Level, Stamp};
use super::summaries::count_invitations;
use super::{Db, InvitationStatus, StorageError};
use crate::core::clock::vietnam;
use crate::core::summary::{
    AnswerCount, Counts, Period, PeriodTotals, TREND_PERIODS, Tally, answer_keys,
};
use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

/// The scope of `$1`: the agency and everything under it, each row naming the scope as unit.
pub(super) const SCOPE_TREE: &str = "WITH RECURSIVE tree (code, unit) AS (
    SELECT code, code FROM agencies WHERE code = $1
    UNION SELECT a.code, t.unit FROM agencies a JOIN tree t ON a.parent_code = t.code)";
/// Everything under `$1`, each row naming the direct unit it is under.
const UNITS_TREE: &str = "WITH RECURSIVE tree (code, unit) AS (
    SELECT code, code FROM agencies WHERE parent_code = $1
    UNION SELECT a.code, t.unit FROM agencies a JOIN tree t ON a.parent_code = t.code)";

/// The Vietnam date of a time, as totals store it (`2026-11-23`).
pub(super) fn vietnam_day(at: DateTime<Utc>) -> String {
    day_text(at.with_timezone(&vietnam()).date_naive())
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The key of one `response_totals` row.
type ResponseKey = (String, String, String, i64);
/// The key of one `answer_totals` row: a response key, question, value; and the kind.
type AnswerKey = (ResponseKey, String, String, String);

#[derive(sqlx::FromRow)]
struct Head {
    response_id: i64,
    agency_code: String,
    procedure_code: String,
    procedure_name: String,
    flow_version_id: i64,
    #[sqlx(try_from = "Stamp")]
    submitted_at: DateTime<Utc>,
    flag: Option<String>,
    submission_channel: String,
}

#[derive(sqlx::FromRow)]
struct GivenAnswer {
    question_id: String,
    kind: String,
    value: String,
    #[sqlx(try_from = "Level")]
    level: Option<u8>,
}

/// The key of one `channel_response_totals` row: agency, day, submission channel.
type ChannelKey = (String, String, String);

/// Counts in memory before they are written: running and rebuilt totals share this.
#[derive(Default)]
struct Pending {
    responses: BTreeMap<ResponseKey, (String, i64, i64)>,
    answers: BTreeMap<AnswerKey, i64>,
    /// Unflagged responses per submission channel, and their scale answers by question and
    /// level: the strata of the weighted index.
    channel_responses: BTreeMap<ChannelKey, i64>,
    channel_answers: BTreeMap<(ChannelKey, String, String), i64>,
}

impl Pending {
    fn add(&mut self, head: &Head, answers: &[GivenAnswer], sign: i64) {
        let key = (
            head.agency_code.clone(),
            vietnam_day(head.submitted_at),
            head.procedure_code.clone(),
            head.flow_version_id,
        );
        let entry = self
            .responses
            .entry(key.clone())
            .or_insert_with(|| (head.procedure_name.clone(), 0, 0));
        if head.flag.is_some() {
            entry.2 += sign;
            return;
        }
        entry.1 += sign;
        let channel_key = (
            head.agency_code.clone(),
            key.1.clone(),
            head.submission_channel.clone(),
        );
        *self
            .channel_responses
            .entry(channel_key.clone())
            .or_default() += sign;
        for answer in answers.iter().filter(|a| a.kind == "scale") {
            for value in answer_keys(&answer.kind, &answer.value, answer.level) {
                let answer_key = (channel_key.clone(), answer.question_id.clone(), value);
                *self.channel_answers.entry(answer_key).or_default() += sign;
            }
        }
        for answer in answers {
            for value in answer_keys(&answer.kind, &answer.value, answer.level) {
                let answer_key = (
                    key.clone(),
                    answer.question_id.clone(),
                    value,
                    answer.kind.clone(),
                );
                *self.answers.entry(answer_key).or_default() += sign;
            }
        }
    }

    /// Adds the counts to the stored totals.
    async fn write(self, tx: &mut Transaction<'_, Any>) -> Result<(), StorageError> {
        let responses: Vec<_> = self.responses.into_iter().collect();
        for chunk in responses.chunks(500) {
            let sql = format!(
                "INSERT INTO response_totals (agency_code, day, procedure_code, flow_version_id, procedure_name,
                 responses, flagged) VALUES {}
                 ON CONFLICT (agency_code, day, procedure_code, flow_version_id) DO UPDATE SET
                 responses = response_totals.responses + excluded.responses,
                 flagged = response_totals.flagged + excluded.flagged",
                tuples(chunk.len(), 7)
            );
            let mut query = sqlx::query(&sql);
            for ((agency, day, procedure, version), (name, responses, flagged)) in chunk {
                query = query
                    .bind(agency)
                    .bind(day)
                    .bind(procedure)
                    .bind(version)
                    .bind(name)
                    .bind(responses)
                    .bind(flagged);
            }
            query.execute(&mut **tx).await?;
        }
        let answers: Vec<_> = self.answers.into_iter().collect();
        for chunk in answers.chunks(500) {
            let sql = format!(
                "INSERT INTO answer_totals (agency_code, day, procedure_code, flow_version_id, question_id, value,
                 kind, count) VALUES {}
                 ON CONFLICT (agency_code, day, procedure_code, flow_version_id, question_id, value)
                 DO UPDATE SET count = answer_totals.count + excluded.count",
                tuples(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for (((agency, day, procedure, version), question, value, kind), count) in chunk {
                query = query
                    .bind(agency)
                    .bind(day)
                    .bind(procedure)
                    .bind(version)
                    .bind(question)
                    .bind(value)
                    .bind(kind)
                    .bind(count);
            }
            query.execute(&mut **tx).await?;
        }
        let channel_responses: Vec<_> = self.channel_responses.into_iter().collect();
        for chunk in channel_responses.chunks(500) {
            let sql = format!(
                "INSERT INTO channel_response_totals (agency_code, day, submission_channel, responses)
                 VALUES {} ON CONFLICT (agency_code, day, submission_channel)
                 DO UPDATE SET responses = channel_response_totals.responses + excluded.responses",
                tuples(chunk.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for ((agency, day, channel), responses) in chunk {
                query = query.bind(agency).bind(day).bind(channel).bind(responses);
            }
            query.execute(&mut **tx).await?;
        }
        let channel_answers: Vec<_> = self.channel_answers.into_iter().collect();
        for chunk in channel_answers.chunks(500) {
            let sql = format!(
                "INSERT INTO channel_answer_totals (agency_code, day, submission_channel, question_id, value, count)
                 VALUES {} ON CONFLICT (agency_code, day, submission_channel, question_id, value)
                 DO UPDATE SET count = channel_answer_totals.count + excluded.count",
                tuples(chunk.len(), 6)
            );
            let mut query = sqlx::query(&sql);
            for (((agency, day, channel), question, value), count) in chunk {
                query = query
                    .bind(agency)
                    .bind(day)
                    .bind(channel)
                    .bind(question)
                    .bind(value)
                    .bind(count);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// `($1, …, $width), ($width+1, …), …` for `rows` rows.
fn tuples(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=width)
                .map(|i| format!("${}", row * width + i))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const HEAD_SELECT: &str = "SELECT r.id AS response_id, n.agency_code, n.procedure_code, n.procedure_name, r.flow_version_id,
    r.submitted_at, r.flag, n.submission_channel FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code";

/// Adds (`sign` 1) or subtracts (`sign` -1) one completed response to the totals, as it is
/// stored now (flagged or not), inside `tx`.
pub(super) async fn count_response(
    tx: &mut Transaction<'_, Any>,
    response_id: i64,
    sign: i64,
) -> Result<(), StorageError> {
    let Some(head) = sqlx::query_as::<_, Head>(&format!("{HEAD_SELECT} WHERE r.id = $1"))
        .bind(response_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(());
    };
    let answers: Vec<GivenAnswer> = sqlx::query_as(
        "SELECT a.question_id, a.kind, a.value, a.level FROM answers a
         JOIN responses r ON r.session_id = a.session_id WHERE r.id = $1",
    )
    .bind(response_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut pending = Pending::default();
    pending.add(&head, &answers, sign);
    pending.write(tx).await
}

/// One `answer_totals` row: agency, day, procedure, flow version id, question, value, kind,
/// count.
pub type AnswerTotal = (String, String, String, i64, String, String, String, i64);

/// Every non-zero total, sorted: what `totals rebuild` compares and tests check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotalsSnapshot {
    /// `(agency, day, procedure, flow version id, responses, flagged)`.
    pub responses: Vec<(String, String, String, i64, i64, i64)>,
    /// `(agency, day, procedure, flow version id, question, value, kind, count)`.
    pub answers: Vec<AnswerTotal>,
    /// `(agency, day, status, count)`.
    pub invitations: Vec<(String, String, String, i64)>,
    /// `(agency, day, submission channel, dossiers)`.
    pub dossiers: Vec<(String, String, String, i64)>,
    /// `(agency, day, submission channel, responses)`.
    pub channel_responses: Vec<(String, String, String, i64)>,
    /// `(agency, day, submission channel, question, value, count)`.
    pub channel_answers: Vec<(String, String, String, String, String, i64)>,
}

#[derive(sqlx::FromRow)]
struct AnswerFact {
    response_id: i64,
    question_id: String,
    kind: String,
    value: String,
    #[sqlx(try_from = "Level")]
    level: Option<u8>,
}

impl Db {
    /// Recomputes every total from the stored responses, answers and invitations, in one
    /// transaction; answers what the totals were before and are now.
    pub async fn rebuild_totals(&self) -> Result<(TotalsSnapshot, TotalsSnapshot), StorageError> {
        let before = self.totals_snapshot().await?;
        let mut tx = self.pool.begin().await?;
        for table in [
            "answer_totals",
            "response_totals",
            "invitation_totals",
            "dossier_totals",
            "channel_response_totals",
            "channel_answer_totals",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        // Heads first (one small row per response), then the answers streamed in the same
        // order: memory grows with responses, not with answers.
        let heads: Vec<Head> = sqlx::query_as(&format!("{HEAD_SELECT} ORDER BY r.id"))
            .fetch_all(&mut *tx)
            .await?;
        let mut pending = Pending::default();
        {
            let mut answers = sqlx::query_as::<_, AnswerFact>(
                "SELECT r.id AS response_id, a.question_id, a.kind, a.value, a.level
                 FROM responses r JOIN answers a ON a.session_id = r.session_id ORDER BY r.id",
            )
            .fetch(&mut *tx);
            let mut next = answers.try_next().await?;
            for head in &heads {
                let mut given = Vec::new();
                while let Some(fact) = next.take_if(|fact| fact.response_id == head.response_id) {
                    given.push(GivenAnswer {
                        question_id: fact.question_id,
                        kind: fact.kind,
                        value: fact.value,
                        level: fact.level,
                    });
                    next = answers.try_next().await?;
                }
                pending.add(head, &given, 1);
            }
        }
        pending.write(&mut tx).await?;
        super::comments::rebuild_comments(&mut tx).await?;
        let day = match self.backend {
            super::Backend::Sqlite => "date(i.created_at, '+7 hours')",
            super::Backend::Postgres => "sipas_vietnam_day(i.created_at)",
        };
        sqlx::query(&format!(
            "INSERT INTO invitation_totals (agency_code, day, status, count)
             SELECT n.agency_code, {day}, i.status, COUNT(*)
             FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
             GROUP BY n.agency_code, {day}, i.status"
        ))
        .execute(&mut *tx)
        .await?;
        let completed = match self.backend {
            super::Backend::Sqlite => "date(completed_at, '+7 hours')",
            super::Backend::Postgres => "sipas_vietnam_day(completed_at)",
        };
        sqlx::query(&format!(
            "INSERT INTO dossier_totals (agency_code, day, submission_channel, dossiers)
             SELECT agency_code, {completed}, submission_channel, COUNT(*) FROM notices
             GROUP BY agency_code, {completed}, submission_channel"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((before, self.totals_snapshot().await?))
    }

    /// Every non-zero total, sorted.
    pub async fn totals_snapshot(&self) -> Result<TotalsSnapshot, StorageError> {
        Ok(TotalsSnapshot {
            responses: sqlx::query_as(
                "SELECT agency_code, day, procedure_code, flow_version_id, responses, flagged
                 FROM response_totals WHERE responses <> 0 OR flagged <> 0
                 ORDER BY agency_code, day, procedure_code, flow_version_id",
            )
            .fetch_all(&self.pool)
            .await?,
            answers: sqlx::query_as(
                "SELECT agency_code, day, procedure_code, flow_version_id, question_id, value, kind, count
                 FROM answer_totals WHERE count <> 0
                 ORDER BY agency_code, day, procedure_code, flow_version_id, question_id, value",
            )
            .fetch_all(&self.pool)
            .await?,
            invitations: sqlx::query_as(
                "SELECT agency_code, day, status, count FROM invitation_totals WHERE count <> 0
                 ORDER BY agency_code, day, status",
            )
            .fetch_all(&self.pool)
            .await?,
            dossiers: sqlx::query_as(
                "SELECT agency_code, day, submission_channel, dossiers FROM dossier_totals
                 WHERE dossiers <> 0 ORDER BY agency_code, day, submission_channel",
            )
            .fetch_all(&self.pool)
            .await?,
            channel_responses: sqlx::query_as(
                "SELECT agency_code, day, submission_channel, responses FROM channel_response_totals
                 WHERE responses <> 0 ORDER BY agency_code, day, submission_channel",
            )
            .fetch_all(&self.pool)
            .await?,
            channel_answers: sqlx::query_as(
                "SELECT agency_code, day, submission_channel, question_id, value, count
                 FROM channel_answer_totals WHERE count <> 0
                 ORDER BY agency_code, day, submission_channel, question_id, value",
            )
            .fetch_all(&self.pool)
            .await?,
        })
    }

    /// What the summary of `period` for the scope of `agency_code` is computed from.
    pub async fn period_totals(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<PeriodTotals, StorageError> {
        let started = std::time::Instant::now();
        let mut trend = Vec::with_capacity(TREND_PERIODS);
        let mut flagged = 0;
        for (i, p) in period.last(TREND_PERIODS).into_iter().enumerate() {
            let (mut tallies, flags) = self
                .tallies(SCOPE_TREE, "tree.unit", agency_code, p)
                .await?;
            trend.push(tallies.remove(agency_code).unwrap_or_default());
            if i == TREND_PERIODS - 1 {
                flagged = flags.values().sum();
            }
        }
        let (units, _) = self
            .tallies(UNITS_TREE, "tree.unit", agency_code, period)
            .await?;
        let (units_before, _) = self
            .tallies(UNITS_TREE, "tree.unit", agency_code, period.previous())
            .await?;
        let (by_procedure, _) = self
            .tallies(SCOPE_TREE, "t.procedure_code", agency_code, period)
            .await?;
        let (first, last) = days(period);
        let names: BTreeMap<String, String> = sqlx::query_as(&format!(
            "{SCOPE_TREE} SELECT t.procedure_code, MIN(t.procedure_name) FROM response_totals t
             JOIN tree ON tree.code = t.agency_code WHERE t.day >= $2 AND t.day <= $3
             GROUP BY t.procedure_code"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        let procedures = by_procedure
            .into_iter()
            .filter(|(_, tally)| tally.responses > 0)
            .map(|(code, tally)| {
                let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
                (code, name, tally)
            })
            .collect();
        // A few recent comments, through their own index.
        let comments = self.recent_comments(agency_code, period).await?;
        let tallied = started.elapsed();
        let strata = self.period_strata(agency_code, period).await?;
        let strata_before = self.period_strata(agency_code, period.previous()).await?;
        tracing::debug!(
            tallies_ms = tallied.as_millis() as u64,
            strata_ms = (started.elapsed() - tallied).as_millis() as u64,
            "period totals read"
        );
        Ok(PeriodTotals {
            trend,
            units,
            units_before,
            procedures,
            comments,
            flagged,
            strata,
            strata_before,
        })
    }

    /// Invitations created in `period` in the scope of `agency_code`, by outcome.
    pub async fn period_invitation_counts(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<Counts, StorageError> {
        let (first, last) = days(period);
        let rows: Vec<(InvitationStatus, i64)> = sqlx::query_as(&format!(
            "{SCOPE_TREE} SELECT i.status, CAST(SUM(i.count) AS BIGINT) FROM invitation_totals i
             JOIN tree ON tree.code = i.agency_code WHERE i.day >= $2 AND i.day <= $3
             GROUP BY i.status"
        ))
        .bind(agency_code)
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Counts::default();
        for (status, total) in rows {
            count_invitations(&mut counts, status, total);
        }
        Ok(counts)
    }

    /// Tallies of `period` grouped by `group` (a unit or a procedure) over `tree`; and the
    /// flagged responses per group.
    async fn tallies(
        &self,
        tree: &str,
        group: &str,
        agency_code: &str,
        period: Period,
    ) -> Result<(BTreeMap<String, Tally>, BTreeMap<String, u64>), StorageError> {
        let (first, last) = days(period);
        let answers: Vec<(String, String, String, String, i64)> = sqlx::query_as(&format!(
            "{tree} SELECT {group}, t.question_id, t.kind, t.value, CAST(SUM(t.count) AS BIGINT)
             FROM answer_totals t JOIN tree ON tree.code = t.agency_code
             WHERE t.day >= $2 AND t.day <= $3
             GROUP BY {group}, t.question_id, t.kind, t.value"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        let responses: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
            "{tree} SELECT {group}, CAST(SUM(t.responses) AS BIGINT), CAST(SUM(t.flagged) AS BIGINT)
             FROM response_totals t JOIN tree ON tree.code = t.agency_code
             WHERE t.day >= $2 AND t.day <= $3 GROUP BY {group}"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
        let mut flagged = BTreeMap::new();
        for (key, responses, flags) in responses {
            tallies.entry(key.clone()).or_default().responses = responses.max(0) as u64;
            flagged.insert(key, flags.max(0) as u64);
        }
        let mut grouped: BTreeMap<String, Vec<AnswerCount>> = BTreeMap::new();
        for (key, question_id, kind, value, count) in answers {
            if count > 0 {
                grouped.entry(key).or_default().push(AnswerCount {
                    question_id,
                    kind,
                    value,
                    count: count as u64,
                });
            }
        }
        for (key, answers) in grouped {
            tallies.entry(key).or_default().add(answers);
        }
        Ok((tallies, flagged))
    }
}

/// The first and last Vietnam day of a period, as totals store days.
pub(super) fn days(period: Period) -> (String, String) {
    (day_text(period.first_day()), day_text(period.last_day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn days_are_vietnam_dates() {
        let late = Utc.with_ymd_and_hms(2026, 11, 22, 17, 0, 0).unwrap();
        assert_eq!(vietnam_day(late), "2026-11-23", "00:00 in Hà Nội");
        let early = Utc.with_ymd_and_hms(2026, 11, 22, 16, 59, 59).unwrap();
        assert_eq!(vietnam_day(early), "2026-11-22");
    }

    #[test]
    fn tuples_number_every_cell() {
        assert_eq!(tuples(2, 2), "($1, $2), ($3, $4)");
    }
}
