//! Scheduled summaries: when the next one is due, and sending every due one once, with its
//! outbox rows in the same transaction as the `summary_runs` row that records it. A weekly
//! subscription gets the week just ended on its weekday; a monthly or yearly one gets the month
//! or year just ended on the first day of the next, at its hour. Runs are keyed by the period's
//! label (2026-W47, 2026-10, 2026), so each period goes out once.

use super::{OfficialMessage, Officials, OfficialsError};
use crate::core::clock::vietnam;
use crate::core::summary::{self, Period, PeriodKind};
use crate::storage::{Effects, Subscription, SubscriptionPeriod};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};

/// When a subscription of `period` next gets its summary strictly after `after`: its weekday
/// for a week, the first of the month for a month, 1 January for a year, at `hour`:00 Vietnam
/// time.
pub fn next_run(
    after: DateTime<Utc>,
    period: SubscriptionPeriod,
    weekday: u32,
    hour: u32,
) -> DateTime<Utc> {
    let step = match period {
        SubscriptionPeriod::Week => return next_weekly(after, weekday, hour),
        SubscriptionPeriod::Month => Months::new(1),
        SubscriptionPeriod::Year => Months::new(12),
    };
    let local = after.with_timezone(&vietnam()).date_naive();
    let mut first = match period {
        SubscriptionPeriod::Year => NaiveDate::from_ymd_opt(local.year(), 1, 1),
        _ => NaiveDate::from_ymd_opt(local.year(), local.month(), 1),
    }
    .expect("the first day of a month exists");
    loop {
        let at = at_hour(first, hour);
        if at > after {
            return at;
        }
        first = first + step;
    }
}

/// The kind of period a subscription summarizes.
pub fn period_kind(period: SubscriptionPeriod) -> PeriodKind {
    match period {
        SubscriptionPeriod::Week => PeriodKind::Week,
        SubscriptionPeriod::Month => PeriodKind::Month,
        SubscriptionPeriod::Year => PeriodKind::Year,
    }
}

fn at_hour(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).expect("a valid hour");
    vietnam()
        .from_local_datetime(&day.and_time(time))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
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

impl Officials {
    /// Sends every summary that is due: the week (month, year) just ended, once per
    /// subscription, even when the scheduled time was missed (sent once, late).
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, OfficialsError> {
        let mut sent = 0;
        for subscription in self.db.due_subscriptions(now).await? {
            let period = Period::containing(period_kind(subscription.period), now).previous();
            let effects = match self.subscription_messages(&subscription, period).await {
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
            let next = next_run(
                now,
                subscription.period,
                subscription.weekday,
                subscription.hour,
            );
            if self
                .db
                .record_summary_run(&subscription, &period.label(), next, &effects, now)
                .await?
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// The summary of `period` for a subscription, with the XLSX of its answers if it asked.
    async fn subscription_messages(
        &self,
        subscription: &Subscription,
        period: Period,
    ) -> Result<Vec<OfficialMessage>, OfficialsError> {
        let summary = self
            .period_summary(
                &subscription.agency_code,
                period,
                self.options(subscription.points_max),
            )
            .await?;
        let mut messages = self.summary_messages(&summary);
        if subscription.xlsx {
            let rows = self
                .db
                .period_answer_rows(&subscription.agency_code, period)
                .await?;
            let caption = match subscription.period {
                SubscriptionPeriod::Week => "xlsx-caption",
                SubscriptionPeriod::Month => "xlsx-caption-month",
                SubscriptionPeriod::Year => "xlsx-caption-year",
            };
            match summary::xlsx::workbook(&self.locales, self.lang, &summary, &rows) {
                Ok(bytes) => messages.push(OfficialMessage::Attachment {
                    file_name: format!("sipas-{}-{}.xlsx", summary.agency_code, summary.week),
                    bytes,
                    caption: self.text(caption, &[("week", summary.week.clone())]),
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

    fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        vietnam()
            .with_ymd_and_hms(year, month, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn monthly_and_yearly_summaries_come_on_the_first_day_of_the_next_period() {
        use SubscriptionPeriod::{Month, Week, Year};
        assert_eq!(next_run(vn(18, 15), Week, 1, 8), vn(23, 8));
        assert_eq!(
            next_run(at(2026, 10, 20, 9), Month, 1, 8),
            at(2026, 11, 1, 8)
        );
        assert_eq!(
            next_run(at(2026, 11, 1, 7), Month, 1, 8),
            at(2026, 11, 1, 8)
        );
        assert_eq!(
            next_run(at(2026, 11, 1, 8), Month, 1, 8),
            at(2026, 12, 1, 8),
            "strictly after"
        );
        assert_eq!(next_run(at(2026, 12, 5, 8), Month, 1, 8), at(2027, 1, 1, 8));
        assert_eq!(next_run(at(2026, 11, 1, 8), Year, 1, 8), at(2027, 1, 1, 8));
        assert_eq!(next_run(at(2027, 1, 1, 6), Year, 1, 7), at(2027, 1, 1, 7));
        // 1 November 00:30 in Vietnam is still 31 October in UTC: the local day decides.
        assert_eq!(
            next_run(at(2026, 10, 31, 23), Month, 1, 0),
            at(2026, 11, 1, 0)
        );
    }
}
