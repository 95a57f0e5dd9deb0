//! Alerts: a new response that rates a criterion 1 or 2, or reports what the flow marks for
//! alerts (harassment, payment outside the rules), is told at once to the chats subscribed to
//! its agency or any agency above it. Each response is alerted once: the `alerted_responses` row
//! and its outbox rows commit together. A flagged response raises no alert.

use super::{OfficialMessage, Officials, OfficialsError};
use crate::core::flow::{Flow, QuestionKind};
use crate::storage::{Effects, ResponseFacts};
use chrono::{DateTime, Duration, Utc};

/// Responses older than this when first seen are not alerted on (e.g. after a long outage).
pub const ALERT_WINDOW_HOURS: i64 = 24;

impl Officials {
    /// Alerts the subscribed chats of a scope about new responses that call for it.
    pub async fn run_alerts(&self, now: DateTime<Utc>) -> Result<usize, OfficialsError> {
        let since = now - Duration::hours(ALERT_WINDOW_HOURS);
        let tree = self.db.agency_tree().await?;
        let subscriptions = self.db.subscriptions().await?;
        let mut alerted = 0;
        for (response_id, agency_code, flag) in self.db.responses_to_alert(since, 200).await? {
            // A flagged response (it looks manufactured) raises no alert: it is marked checked
            // with nothing sent, so a flood of fake complaints cannot page the officials.
            if flag.is_some() {
                self.db
                    .mark_alerted(response_id, &Effects::default(), now)
                    .await?;
                continue;
            }
            let Some(facts) = self.db.response_facts(response_id).await? else {
                continue;
            };
            let flow = self.db.flow_version(facts.flow_version_id).await?.flow;
            let chain = tree.ancestors(&agency_code);
            let mut effects = Effects::default();
            if let Some(text) = self.alert_text(&flow, &facts) {
                let message = [OfficialMessage::Text { text }];
                for subscription in subscriptions
                    .iter()
                    .filter(|s| s.active && chain.contains(&s.agency_code.as_str()))
                {
                    effects.outgoing.extend(self.render(
                        &subscription.channel,
                        &subscription.chat_id,
                        &message,
                    ));
                }
            }
            let any = !effects.outgoing.is_empty();
            if self.db.mark_alerted(response_id, &effects, now).await? && any {
                alerted += 1;
            }
        }
        Ok(alerted)
    }

    fn alert_text(&self, flow: &Flow, facts: &ResponseFacts) -> Option<String> {
        let t = |id: &str, args: &[(&str, String)]| self.text(id, args);
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
