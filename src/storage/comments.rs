//! The free-text answers of completed responses, kept apart with their agency and submission
//! time (`response_comments`), so the latest comments of a scope are read through an index on
//! (agency, time) instead of by walking every response of the period. Kept in the transaction
//! that completes a response, deleted with it on withdrawal, recomputed by `totals rebuild`.

use super::strata::STRATA_TREE;
use super::totals::SCOPE_TREE;
use super::{Db, StorageError, timestamp};
use crate::core::summary::{COMMENTS_READ, Comment, Period};
use sqlx::{Any, Transaction};

/// The comments of one response, from its answer rows.
const FROM_ANSWERS: &str = "INSERT INTO response_comments
     (response_id, position, agency_code, submitted_at, question_id, value)
     SELECT r.id, a.position, n.agency_code, r.submitted_at, a.question_id, a.value
     FROM responses r
     JOIN notices n ON n.dossier_code = r.dossier_code
     JOIN answers a ON a.session_id = r.session_id
     WHERE a.kind = 'text' AND a.value <> ''";

/// Keeps the comments of the response just completed.
pub(super) async fn keep_comments(
    tx: &mut Transaction<'_, Any>,
    response_id: i64,
) -> Result<(), StorageError> {
    sqlx::query(&format!("{FROM_ANSWERS} AND r.id = $1"))
        .bind(response_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the comments of a response being withdrawn.
pub(super) async fn forget_comments(
    tx: &mut Transaction<'_, Any>,
    response_id: i64,
) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM response_comments WHERE response_id = $1")
        .bind(response_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Recomputes every kept comment from the answer rows.
pub(super) async fn rebuild_comments(tx: &mut Transaction<'_, Any>) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM response_comments")
        .execute(&mut **tx)
        .await?;
    sqlx::query(FROM_ANSWERS).execute(&mut **tx).await?;
    Ok(())
}

impl Db {
    /// The latest [`COMMENTS_READ`] comments of responses submitted in `period` in the scope of
    /// `agency_code`, newest first, flagged responses left out.
    pub(super) async fn recent_comments(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<Vec<Comment>, StorageError> {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "{SCOPE_TREE} SELECT c.question_id, c.value FROM response_comments c
             JOIN tree ON tree.code = c.agency_code
             JOIN responses r ON r.id = c.response_id
             WHERE c.submitted_at >= $2 AND c.submitted_at < $3 AND r.flag IS NULL
             ORDER BY c.submitted_at DESC, c.response_id DESC, c.position LIMIT {COMMENTS_READ}"
        ))
        .bind(agency_code)
        .bind(timestamp(period.start()))
        .bind(timestamp(period.end()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(question_id, text)| Comment { question_id, text })
            .collect())
    }

    /// Every comment of responses submitted in `period` in the scope of `agency_code`, flagged
    /// responses left out: `(direct unit or the scope's own code, question, text)`, for the
    /// period's themes. Read through the comments' own index, never the answer rows.
    pub async fn period_comment_texts(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<Vec<(String, String, String)>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{STRATA_TREE} SELECT tree.unit, c.question_id, c.value FROM response_comments c
             JOIN tree ON tree.code = c.agency_code
             JOIN responses r ON r.id = c.response_id
             WHERE c.submitted_at >= $2 AND c.submitted_at < $3 AND r.flag IS NULL
             ORDER BY c.submitted_at DESC, c.response_id DESC, c.position"
        ))
        .bind(agency_code)
        .bind(timestamp(period.start()))
        .bind(timestamp(period.end()))
        .fetch_all(&self.pool)
        .await?)
    }
}
