//! Scheduled summaries: when the next one is due, and sending every due one once, with its
//! outbox rows in the same transaction as the `summary_runs` row that records it.

use super::{OfficialMessage, Officials, OfficialsError};
use crate::clock::vietnam;
use crate::storage::{Effects, Subscription};
use crate::summary::{self, Week};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

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

impl Officials {
    /// Sends every summary that is due: the week just ended, once per subscription, even when
    /// the scheduled time was missed (sent once, late).
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, OfficialsError> {
        let mut sent = 0;
        for subscription in self.db.due_subscriptions(now).await? {
            let week = Week::containing(now).previous();
            let effects = match self.subscription_messages(&subscription, week).await {
                Ok(messages) => Effects {
                    inbound: None,
                    outgoing: self.render(&subscription.channel, &subscription.chat_id, &messages),
                },
                Err(OfficialsError::UnknownAgency(code)) => {
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

    /// The summary of `week` for a subscription, with the XLSX of its answers if it asked.
    async fn subscription_messages(
        &self,
        subscription: &Subscription,
        week: Week,
    ) -> Result<Vec<OfficialMessage>, OfficialsError> {
        let summary = self
            .summary(&subscription.agency_code, week, subscription.points_max)
            .await?;
        let mut messages = self.summary_messages(&summary);
        if subscription.xlsx {
            let rows = self
                .db
                .period_answer_rows(&subscription.agency_code, week.into())
                .await?;
            match summary::xlsx::workbook(&self.locales, self.lang, &summary, &rows) {
                Ok(bytes) => messages.push(OfficialMessage::Attachment {
                    file_name: format!("sipas-{}-{}.xlsx", summary.agency_code, summary.week),
                    bytes,
                    caption: self.text("xlsx-caption", &[("week", summary.week.clone())]),
                }),
                Err(err) => tracing::error!(%err, "cannot build the XLSX attachment"),
            }
        }
        Ok(messages)
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
