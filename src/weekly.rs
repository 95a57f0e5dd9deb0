//! Officials' side: weekly summaries on schedule, on demand, and alerts. Reads through storage,
//! computes with [`crate::summary`], and queues the messages in the outbox in the same
//! transaction that records them as sent, so a summary goes out once per subscription and week
//! across restarts and instances.

use crate::channels::telegram::messages;
use crate::clock::vietnam;
use crate::flow::{Flow, Lang, QuestionKind};
use crate::i18n::Locales;
use crate::storage::{Db, Effects, Outgoing, StorageError, Subscription};
use crate::summary::{self, Scope, Week, WeeklySummary};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use std::sync::Arc;

/// Responses older than this when first seen are not alerted on (e.g. after a long outage).
pub const ALERT_WINDOW_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum WeeklyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("unknown agency {0}")]
    UnknownAgency(String),
    #[error("unknown flow {0}")]
    UnknownFlow(String),
}

#[derive(Debug, Clone)]
pub struct Weekly {
    db: Db,
    locales: Arc<Locales>,
    lang: Lang,
    flow_id: String,
}

/// The next `weekday` (1 = Monday) at `hour`:00 Vietnam time strictly after `after`.
pub fn next_weekly(after: DateTime<Utc>, weekday: u32, hour: u32) -> DateTime<Utc> {
    let local = after.with_timezone(&vietnam());
    let today = local.date_naive();
    let days_ahead = (i64::from(weekday.clamp(1, 7))
        - i64::from(today.weekday().number_from_monday()))
    .rem_euclid(7);
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).expect("a valid hour");
    let mut candidate = today + Duration::days(days_ahead);
    loop {
        let at = vietnam()
            .from_local_datetime(&candidate.and_time(time))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc);
        if at > after {
            return at;
        }
        candidate += Duration::days(7);
    }
}

impl Weekly {
    pub fn new(db: Db, locales: Arc<Locales>, lang: Lang, flow_id: String) -> Weekly {
        Weekly {
            db,
            locales,
            lang,
            flow_id,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    async fn flow(&self) -> Result<Flow, WeeklyError> {
        Ok(self
            .db
            .latest_flow(&self.flow_id)
            .await?
            .ok_or_else(|| WeeklyError::UnknownFlow(self.flow_id.clone()))?
            .flow)
    }

    /// An agency and every unit under it.
    pub async fn scope(&self, agency_code: &str) -> Result<Scope, WeeklyError> {
        let agencies = self.db.agencies().await?;
        let agency = agencies
            .iter()
            .find(|a| a.code == agency_code)
            .ok_or_else(|| WeeklyError::UnknownAgency(agency_code.to_string()))?;
        let subtree = |root: &str| -> Vec<String> {
            let mut codes = vec![root.to_string()];
            let mut index = 0;
            while index < codes.len() {
                let parent = codes[index].clone();
                codes.extend(
                    agencies
                        .iter()
                        .filter(|a| a.parent_code.as_deref() == Some(parent.as_str()))
                        .map(|a| a.code.clone()),
                );
                index += 1;
            }
            codes
        };
        Ok(Scope {
            code: agency.code.clone(),
            name: agency.name.clone(),
            codes: subtree(&agency.code),
            units: agencies
                .iter()
                .filter(|a| a.parent_code.as_deref() == Some(agency.code.as_str()))
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
    ) -> Result<WeeklySummary, WeeklyError> {
        Ok(self
            .summary_with_rows(agency_code, week, points_max)
            .await?
            .0)
    }

    /// The summary and the week's answer rows it was computed from.
    pub async fn summary_with_rows(
        &self,
        agency_code: &str,
        week: Week,
        points_max: Option<f64>,
    ) -> Result<(WeeklySummary, Vec<summary::AnswerRow>), WeeklyError> {
        let flow = self.flow().await?;
        let scope = self.scope(agency_code).await?;
        let from = week.previous().previous().previous().start();
        let rows = self.db.summary_rows(&scope.codes, from, week.end()).await?;
        let counts = self
            .db
            .invitation_counts(&scope.codes, week.start(), week.end())
            .await?;
        let summary = summary::build(&flow, self.lang, &scope, week, &rows, counts, points_max);
        let week_rows = rows
            .into_iter()
            .filter(|r| r.submitted_at >= week.start() && r.submitted_at < week.end())
            .collect();
        Ok((summary, week_rows))
    }

    /// The message and the chart of a summary, for a Telegram chat.
    pub fn messages(&self, chat_id: i64, summary: &WeeklySummary) -> Vec<Outgoing> {
        let chart = summary::chart::png(&self.locales, self.lang, summary);
        let caption = summary::render::caption(&self.locales, self.lang, summary);
        let mut outgoing: Vec<Outgoing> =
            summary::render::messages(&self.locales, self.lang, summary)
                .into_iter()
                .map(|text| messages::text(chat_id, text, None))
                .collect();
        outgoing.push(messages::photo(chat_id, &chart, caption));
        outgoing
    }

    /// Sends every summary that is due: the week just ended, once per subscription, even when
    /// the scheduled time was missed (sent once, late).
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, WeeklyError> {
        let mut sent = 0;
        for subscription in self.db.due_subscriptions(now).await? {
            let week = Week::containing(now).previous();
            let effects = match self.subscription_messages(&subscription, week).await {
                Ok(outgoing) => Effects {
                    inbound: None,
                    outgoing,
                },
                Err(WeeklyError::UnknownAgency(code)) => {
                    tracing::warn!(subscription = subscription.id, agency = %code, "subscription to an unknown agency");
                    Effects::default()
                }
                Err(err) => return Err(err),
            };
            let next = next_weekly(now, subscription.weekday, subscription.hour);
            if self
                .db
                .record_summary_run(&subscription, &week.label(), next, &effects, now)
                .await?
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn subscription_messages(
        &self,
        subscription: &Subscription,
        week: Week,
    ) -> Result<Vec<Outgoing>, WeeklyError> {
        let Ok(chat) = subscription.chat_id.parse::<i64>() else {
            return Ok(Vec::new());
        };
        let (summary, rows) = self
            .summary_with_rows(&subscription.agency_code, week, subscription.points_max)
            .await?;
        let mut outgoing = self.messages(chat, &summary);
        if subscription.xlsx {
            match summary::xlsx::workbook(&self.locales, self.lang, &summary, &rows) {
                Ok(bytes) => outgoing.push(messages::document(
                    chat,
                    &bytes,
                    format!("sipas-{}-{}.xlsx", summary.agency_code, summary.week),
                    self.locales
                        .text(self.lang, "xlsx-caption", &[("week", summary.week.clone())]),
                )),
                Err(err) => tracing::error!(%err, "cannot build the XLSX attachment"),
            }
        }
        Ok(outgoing)
    }

    /// Alerts the subscribed chats of a scope about new responses that rate a criterion 1 or 2 or
    /// report what the flow marks for alerts (harassment, payment outside the rules).
    pub async fn run_alerts(&self, now: DateTime<Utc>) -> Result<usize, WeeklyError> {
        let since = now - Duration::hours(ALERT_WINDOW_HOURS);
        let agencies = self.db.agencies().await?;
        let subscriptions = self.db.subscriptions().await?;
        let mut alerted = 0;
        for (response_id, agency_code) in self.db.responses_to_alert(since, 200).await? {
            let Some(facts) = self.db.response_facts(response_id).await? else {
                continue;
            };
            let flow = self.db.flow_version(facts.flow_version_id).await?.flow;
            let chain = crate::storage::ancestors(&agencies, &agency_code);
            let text = self.alert_text(&flow, &facts);
            let mut effects = Effects::default();
            if let Some(text) = text {
                for subscription in subscriptions
                    .iter()
                    .filter(|s| s.active && chain.contains(&s.agency_code))
                {
                    if let Ok(chat) = subscription.chat_id.parse::<i64>() {
                        effects.push(messages::text(chat, text.clone(), None));
                    }
                }
            }
            let any = !effects.outgoing.is_empty();
            if self.db.mark_alerted(response_id, &effects, now).await? && any {
                alerted += 1;
            }
        }
        Ok(alerted)
    }

    fn alert_text(&self, flow: &Flow, facts: &crate::storage::ResponseFacts) -> Option<String> {
        let t = |id: &str, args: &[(&str, String)]| self.locales.text(self.lang, id, args);
        let mut items = Vec::new();
        for answer in &facts.answers {
            let Some(question) = flow.question(&answer.question_id) else {
                continue;
            };
            let text = question.text.get(self.lang).to_string();
            match (&question.kind, answer.level) {
                (QuestionKind::Scale { .. }, Some(level @ 1..=2)) => {
                    let label = flow
                        .scale_label(level)
                        .map_or(level.to_string(), |l| l.get(self.lang).to_string());
                    items.push(t("alert-item", &[("question", text), ("answer", label)]));
                }
                _ if question
                    .alert_if
                    .iter()
                    .any(|v| answer.value.split(';').any(|a| a == v)) =>
                {
                    let label = match answer.value.as_str() {
                        "yes" => flow.labels.yes.get(self.lang).to_string(),
                        "no" => flow.labels.no.get(self.lang).to_string(),
                        other => other.to_string(),
                    };
                    items.push(t("alert-item", &[("question", text), ("answer", label)]));
                }
                _ => {}
            }
        }
        if items.is_empty() {
            return None;
        }
        let consented = flow.contact_question.as_deref().is_some_and(|q| {
            facts
                .answers
                .iter()
                .any(|a| a.question_id == q && a.value == "yes")
        });
        let contact = if consented {
            t("alert-contact", &[("dossier", facts.dossier_code.clone())])
        } else {
            t("alert-no-contact", &[])
        };
        let agency = facts
            .agency_name
            .clone()
            .unwrap_or_else(|| facts.agency_code.clone());
        Some(format!(
            "{}\n{}\n{}\n{}",
            t("alert-title", &[]),
            t(
                "alert-where",
                &[
                    ("agency", agency),
                    ("procedure", facts.procedure_name.clone())
                ]
            ),
            items.join("\n"),
            contact
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(day: u32, hour: u32) -> DateTime<Utc> {
        vietnam()
            .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_next_monday_eight_oclock_in_vietnam() {
        // 16/11/2026 is a Monday.
        assert_eq!(next_weekly(vn(16, 7), 1, 8), vn(16, 8));
        assert_eq!(next_weekly(vn(16, 8), 1, 8), vn(23, 8), "strictly after");
        assert_eq!(next_weekly(vn(18, 15), 1, 8), vn(23, 8));
        assert_eq!(next_weekly(vn(22, 23), 1, 8), vn(23, 8));
        assert_eq!(next_weekly(vn(18, 15), 5, 17), vn(20, 17), "Friday 17:00");
    }
}
