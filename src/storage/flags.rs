//! Integrity flags (issue 10): a response that looks manufactured is stored but flagged, kept
//! out of the index and its totals' answer counts, and counted apart. Two signs: one chat
//! answering more than [`Integrity::max_dossiers_per_chat`] dossiers in 30 days, and a survey
//! answered faster than a person reads (a median under [`Integrity::min_seconds_per_question`]
//! between answers). Flags are judged in the transaction that completes the response, so the
//! totals never count a response that is flagged. An admin may clear a flag; clearing is audited
//! and adds the response to the index.

use super::audit::audit;
use super::totals::count_response;
use super::{Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Duration, Utc};
use sqlx::{Any, Transaction};

/// The thresholds of the integrity checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Integrity {
    /// More dossiers than this answered from one chat in [`Integrity::WINDOW_DAYS`] days are
    /// flagged (`INTEGRITY_MAX_DOSSIERS_PER_CHAT`).
    pub max_dossiers_per_chat: u32,
    /// A median time between answers below this is faster than anyone reads.
    pub min_seconds_per_question: f64,
}

impl Integrity {
    pub const WINDOW_DAYS: i64 = 30;
    /// Speed is judged only on this many answered questions or more: a rating template (stars
    /// and a note, given at once) or a survey skipped through says nothing about reading speed.
    pub const MIN_TIMED_ANSWERS: usize = 3;
}

impl Default for Integrity {
    fn default() -> Integrity {
        Integrity {
            max_dossiers_per_chat: 5,
            min_seconds_per_question: 1.0,
        }
    }
}

/// Why a response was flagged, as stored in `responses.flag`.
pub const MANY_DOSSIERS: &str = "many_dossiers";
pub const TOO_FAST: &str = "too_fast";

/// A flagged response, as an admin reviews it (no chat id, no phone number).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FlaggedResponse {
    pub response_id: i64,
    pub agency_code: String,
    pub dossier_code: String,
    pub procedure_name: String,
    pub submitted_at: String,
    pub flag: String,
}

/// The median of `values`, `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// Judges the just-completed response `response_id` of `session_id`, stores its flag, and adds
/// it to the totals; inside the completing transaction.
pub(super) async fn judge_and_count(
    tx: &mut Transaction<'_, Any>,
    integrity: Integrity,
    response_id: i64,
    session_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let since = timestamp(now - Duration::days(Integrity::WINDOW_DAYS));
    let (answered_from_chat,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM responses r JOIN survey_sessions s ON s.id = r.session_id
         JOIN survey_sessions mine ON mine.channel = s.channel AND mine.chat_ref = s.chat_ref
         WHERE mine.id = $1 AND r.submitted_at >= $2",
    )
    .bind(session_id)
    .bind(&since)
    .fetch_one(&mut **tx)
    .await?;
    let (started_at,): (String,) =
        sqlx::query_as("SELECT started_at FROM survey_sessions WHERE id = $1")
            .bind(session_id)
            .fetch_one(&mut **tx)
            .await?;
    let times: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT answered_at FROM answers WHERE session_id = $1 AND skipped = 0 ORDER BY position",
    )
    .bind(session_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut previous = parse_timestamp(&started_at)?;
    let mut gaps = Vec::with_capacity(times.len());
    for (at,) in times {
        let Some(at) = at else { continue };
        let at = parse_timestamp(&at)?;
        gaps.push((at - previous).num_milliseconds() as f64 / 1000.0);
        previous = at;
    }
    let flag = if answered_from_chat > i64::from(integrity.max_dossiers_per_chat) {
        Some(MANY_DOSSIERS)
    } else if gaps.len() >= Integrity::MIN_TIMED_ANSWERS
        && median(&mut gaps).is_some_and(|m| m < integrity.min_seconds_per_question)
    {
        Some(TOO_FAST)
    } else {
        None
    };
    if let Some(flag) = flag {
        sqlx::query("UPDATE responses SET flag = $1 WHERE id = $2")
            .bind(flag)
            .bind(response_id)
            .execute(&mut **tx)
            .await?;
    }
    count_response(tx, response_id, 1).await
}

impl Db {
    /// The flagged responses in the scope of `agency_code` (every agency with `None`), newest
    /// first, at most `limit`.
    pub async fn flagged_responses(
        &self,
        agency_code: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FlaggedResponse>, StorageError> {
        const SELECT: &str = "SELECT r.id AS response_id, n.agency_code, n.dossier_code, n.procedure_name,
             r.submitted_at, r.flag FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code";
        let rows = match agency_code {
            Some(code) => {
                sqlx::query_as(&format!(
                    "WITH RECURSIVE tree (code) AS (
                        SELECT code FROM agencies WHERE code = $1
                        UNION SELECT a.code FROM agencies a JOIN tree t ON a.parent_code = t.code)
                     {SELECT} JOIN tree ON tree.code = n.agency_code
                     WHERE r.flag IS NOT NULL ORDER BY r.submitted_at DESC, r.id DESC LIMIT $2"
                ))
                .bind(code)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => sqlx::query_as(&format!(
                "{SELECT} WHERE r.flag IS NOT NULL ORDER BY r.submitted_at DESC, r.id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
        };
        Ok(rows)
    }

    /// Clears a response's flag: it joins the index and its totals. Audited as `actor`;
    /// `false` when the response is not flagged (already cleared, withdrawn, unknown).
    pub async fn clear_flag(
        &self,
        response_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let Some((flag, dossier)): Option<(String, String)> = sqlx::query_as(
            "SELECT flag, dossier_code FROM responses WHERE id = $1 AND flag IS NOT NULL",
        )
        .bind(response_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.rollback().await?;
            return Ok(false);
        };
        count_response(&mut tx, response_id, -1).await?;
        sqlx::query("UPDATE responses SET flag = NULL WHERE id = $1")
            .bind(response_id)
            .execute(&mut *tx)
            .await?;
        count_response(&mut tx, response_id, 1).await?;
        // The dossier names the response in the log; never the chat.
        audit(
            &mut tx,
            actor,
            "flag.clear",
            &dossier,
            Some(&flag),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [0.2, 0.4, 9.0, 12.0]), Some(4.7));
    }
}
