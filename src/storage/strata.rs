//! The strata of the weighted index (issue 19): per (direct unit, submission channel) of a
//! scope, the period's dossiers (`dossier_totals`), unflagged responses
//! (`channel_response_totals`) and their scale answers (`channel_answer_totals`), all running
//! totals (migration 0015), so the weighting reads no answer row.

use super::totals::days;
use super::{Db, StorageError};
use crate::core::summary::{AnswerCount, Period, StratumTotals};
use std::collections::BTreeMap;

/// Everything in the scope of `$1`, each row naming the direct unit it is under; the scope's own
/// code names itself (its own dossiers are a unit of their own in the weighted index).
pub(super) const STRATA_TREE: &str = "WITH RECURSIVE tree (code, unit) AS (
    SELECT code, code FROM agencies WHERE parent_code = $1 OR code = $1
    UNION SELECT a.code, t.unit FROM agencies a JOIN tree t ON a.parent_code = t.code
    WHERE t.code <> $1)";

fn entry(
    strata: &mut BTreeMap<(String, String), StratumTotals>,
    unit: String,
    channel: String,
) -> &mut StratumTotals {
    strata
        .entry((unit.clone(), channel.clone()))
        .or_insert_with(|| StratumTotals {
            unit,
            channel,
            ..StratumTotals::default()
        })
}

impl Db {
    /// The strata of the weighted index for the scope of `agency_code` in `period`: dossiers,
    /// responses and scale answers per (direct unit, submission channel), the scope's own
    /// dossiers under its own code; sorted by unit and channel.
    pub async fn period_strata(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<Vec<StratumTotals>, StorageError> {
        let (first, last) = days(period);
        let mut strata: BTreeMap<(String, String), StratumTotals> = BTreeMap::new();
        let dossiers: Vec<(String, String, i64)> = sqlx::query_as(&format!(
            "{STRATA_TREE} SELECT tree.unit, d.submission_channel, CAST(SUM(d.dossiers) AS BIGINT)
             FROM dossier_totals d JOIN tree ON tree.code = d.agency_code
             WHERE d.day >= $2 AND d.day <= $3 GROUP BY tree.unit, d.submission_channel"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        for (unit, channel, count) in dossiers {
            entry(&mut strata, unit, channel).dossiers = count.max(0) as u64;
        }
        let responses: Vec<(String, String, i64)> = sqlx::query_as(&format!(
            "{STRATA_TREE} SELECT tree.unit, c.submission_channel, CAST(SUM(c.responses) AS BIGINT)
             FROM channel_response_totals c JOIN tree ON tree.code = c.agency_code
             WHERE c.day >= $2 AND c.day <= $3 GROUP BY tree.unit, c.submission_channel"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        for (unit, channel, count) in responses {
            entry(&mut strata, unit, channel).tally.responses = count.max(0) as u64;
        }
        let answers: Vec<(String, String, String, String, i64)> = sqlx::query_as(&format!(
            "{STRATA_TREE} SELECT tree.unit, c.submission_channel, c.question_id, c.value,
             CAST(SUM(c.count) AS BIGINT)
             FROM channel_answer_totals c JOIN tree ON tree.code = c.agency_code
             WHERE c.day >= $2 AND c.day <= $3
             GROUP BY tree.unit, c.submission_channel, c.question_id, c.value"
        ))
        .bind(agency_code)
        .bind(&first)
        .bind(&last)
        .fetch_all(&self.pool)
        .await?;
        let mut grouped: BTreeMap<(String, String), Vec<AnswerCount>> = BTreeMap::new();
        for (unit, channel, question_id, value, count) in answers {
            if count > 0 {
                grouped
                    .entry((unit, channel))
                    .or_default()
                    .push(AnswerCount {
                        question_id,
                        kind: "scale".into(),
                        value,
                        count: count as u64,
                    });
            }
        }
        for ((unit, channel), answers) in grouped {
            entry(&mut strata, unit, channel).tally.add(answers);
        }
        Ok(strata
            .into_values()
            .filter(|s| s.dossiers > 0 || s.tally.responses > 0 || !s.tally.answers.is_empty())
            .collect())
    }
}
