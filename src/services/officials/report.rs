//! Summaries on demand: the scope of an agency, the summary of a week for it, the messages that
//! carry a summary (its text and its chart), and `/report` for a subscribed chat.

use super::{OfficialMessage, Officials, OfficialsError};
use crate::core::summary::{self, Options, Period, Scope, Week, WeeklySummary};
use chrono::{DateTime, Utc};

/// `/report` answers a chat at most once in this many seconds.
pub const REPORT_COOLDOWN_SECONDS: i64 = 60;

impl Officials {
    /// An agency and every unit under it.
    pub async fn scope(&self, agency_code: &str) -> Result<Scope, OfficialsError> {
        let tree = self.db.agency_tree().await?;
        let agency = tree
            .get(agency_code)
            .ok_or_else(|| OfficialsError::UnknownAgency(agency_code.to_string()))?;
        let subtree = |root: &str| -> Vec<String> {
            tree.subtree(root).into_iter().map(str::to_string).collect()
        };
        Ok(Scope {
            code: agency.code.clone(),
            name: agency.name.clone(),
            codes: subtree(&agency.code),
            units: (tree.children(&agency.code).into_iter())
                .map(|a| (a.code.clone(), a.name.clone(), subtree(&a.code)))
                .collect(),
        })
    }

    /// The summary of `week` for an agency's scope.
    pub async fn summary(
        &self,
        agency_code: &str,
        week: Week,
        points_max: Option<f64>,
    ) -> Result<WeeklySummary, OfficialsError> {
        self.period_summary(agency_code, week.into(), self.options(points_max))
            .await
    }

    /// The summary of any period for an agency's scope, from the running totals: its cost
    /// depends on the number of agencies and days, not on the number of answers.
    pub async fn period_summary(
        &self,
        agency_code: &str,
        period: Period,
        options: Options,
    ) -> Result<WeeklySummary, OfficialsError> {
        let started = std::time::Instant::now();
        let flow = self.flow().await?;
        let scope = self.scope(agency_code).await?;
        let totals = self.db.period_totals(&scope.code, period).await?;
        let read_totals = started.elapsed();
        let counts = self
            .db
            .period_invitation_counts(&scope.code, period)
            .await?;
        let mut built =
            summary::build_totals(&flow, self.lang, &scope, period, &totals, counts, options);
        let built_at = started.elapsed();
        // The period's comments (and the previous one's) for the themes: free-text answers to
        // the flow's text questions only.
        let is_text = |question: &str| {
            flow.question(question)
                .is_some_and(|q| matches!(q.kind, crate::core::flow::QuestionKind::Text { .. }))
        };
        let read = async |p: Period| -> Result<Vec<(String, String)>, OfficialsError> {
            Ok(self
                .db
                .period_comment_texts(&scope.code, p)
                .await?
                .into_iter()
                .filter(|(_, question, text)| is_text(question) && !text.trim().is_empty())
                .map(|(unit, _, text)| (unit, text))
                .collect())
        };
        let now = read(period).await?;
        let before = read(period.previous()).await?;
        let comments_read = started.elapsed();
        summary::themes::attach(&mut built, &self.themes, &scope, &totals, &now, &before);
        // Where a summary's time goes (`RUST_LOG=sipas_bot=debug`): the benchmark's figure is
        // the sum of these.
        tracing::debug!(
            totals_ms = read_totals.as_millis() as u64,
            built_ms = (built_at - read_totals).as_millis() as u64,
            comments = now.len() + before.len(),
            comments_ms = (comments_read - built_at).as_millis() as u64,
            themes_ms = (started.elapsed() - comments_read).as_millis() as u64,
            "summary stages"
        );
        Ok(built)
    }

    /// The summary and the week's answer rows, for the XLSX export of every answer (the only
    /// summary path that reads answer rows, and only when a subscription asks for the file).
    pub async fn summary_with_rows(
        &self,
        agency_code: &str,
        week: Week,
        points_max: Option<f64>,
    ) -> Result<(WeeklySummary, Vec<summary::AnswerRow>), OfficialsError> {
        self.period_summary_with_rows(agency_code, week.into(), points_max)
            .await
    }

    /// The summary of any period (a week, month, quarter or year) for an agency's scope, with
    /// the answer rows of that period (for the XLSX and CSV), computed with the service's
    /// summary settings.
    pub async fn period_summary_with_rows(
        &self,
        agency_code: &str,
        period: Period,
        points_max: Option<f64>,
    ) -> Result<(WeeklySummary, Vec<summary::AnswerRow>), OfficialsError> {
        let summary = self
            .period_summary(agency_code, period, self.options(points_max))
            .await?;
        let rows = self.db.period_answer_rows(agency_code, period).await?;
        Ok((summary, rows))
    }

    /// The summary options of this service's settings (`SUMMARY_PROCEDURE_MIN_RESPONSES`).
    pub fn options(&self, points_max: Option<f64>) -> Options {
        Options {
            points_max,
            procedure_min_responses: self.summary.procedure_min_responses,
        }
    }

    /// The chart of a summary as a PNG, with the service's target line.
    pub fn chart(&self, summary: &WeeklySummary) -> Vec<u8> {
        summary::chart::png_with_target(&self.locales, self.lang, summary, self.summary.target)
    }

    /// The message and the chart of a summary.
    pub fn summary_messages(&self, summary: &WeeklySummary) -> Vec<OfficialMessage> {
        let png = self.chart(summary);
        let caption = summary::render::caption(&self.locales, self.lang, summary);
        let mut messages: Vec<OfficialMessage> =
            summary::render::messages(&self.locales, self.lang, summary)
                .into_iter()
                .map(|text| OfficialMessage::Text { text })
                .collect();
        messages.push(OfficialMessage::Chart { png, caption });
        messages
    }

    /// `/report`: this week so far, for each subscription of the chat (at most once per
    /// [`REPORT_COOLDOWN_SECONDS`] per chat); `None` when the chat
    /// has none. A subscription whose agency or flow is gone is left out (and logged).
    pub async fn report(
        &self,
        channel: &str,
        chat_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<OfficialMessage>>, OfficialsError> {
        // A cooldown per chat, shared by every instance: one report a minute; the first ask
        // within the minute is told to wait, later ones get nothing (no reply spam either).
        let asked = self
            .db
            .count_attempt(
                &format!("report:{channel}:{chat_id}"),
                chrono::Duration::seconds(REPORT_COOLDOWN_SECONDS),
                now,
            )
            .await?;
        if asked > 1 {
            let wait = self.text(
                "report-cooldown",
                &[("seconds", REPORT_COOLDOWN_SECONDS.to_string())],
            );
            return Ok(Some(match asked {
                2 => vec![OfficialMessage::Text { text: wait }],
                _ => Vec::new(),
            }));
        }
        let subscriptions = self.db.chat_subscriptions(channel, chat_id).await?;
        if subscriptions.is_empty() {
            return Ok(None);
        }
        let week = Week::containing(now);
        let mut messages = Vec::new();
        for subscription in &subscriptions {
            match self
                .summary(&subscription.agency_code, week, subscription.points_max)
                .await
            {
                Ok(summary) => messages.extend(self.summary_messages(&summary)),
                Err(OfficialsError::Storage(err)) => return Err(err.into()),
                Err(err) => tracing::warn!(%err, "no summary for a subscription"),
            }
        }
        Ok(Some(messages))
    }
}
