//! When a template message refused for the hour may go again, in Asia/Ho_Chi_Minh time (UTC+7,
//! no daylight saving): after -133/-234 (no template messages from 22:00 to 06:00) at the next
//! 06:00; after a daily or monthly quota error (-144, -147, -1441) at 06:00 the next day, the
//! first moment the new day's quota may be spent outside the night. Pure.

use crate::core::clock::vietnam;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

/// The hour template messages may go again in the morning.
pub const MORNING_HOUR: u32 = 6;

/// The first 06:00 Vietnam time strictly after `now`.
pub fn next_morning(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = morning_of(now.with_timezone(&vietnam()).date_naive());
    if today > now {
        today
    } else {
        morning_of(now.with_timezone(&vietnam()).date_naive() + Duration::days(1))
    }
}

/// 06:00 Vietnam time on the day after `now`'s Vietnam day.
pub fn next_day_morning(now: DateTime<Utc>) -> DateTime<Utc> {
    morning_of(now.with_timezone(&vietnam()).date_naive() + Duration::days(1))
}

/// How long from `now` to `at`, never negative.
pub fn until(now: DateTime<Utc>, at: DateTime<Utc>) -> std::time::Duration {
    (at - now).to_std().unwrap_or_default()
}

fn morning_of(day: chrono::NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::from_hms_opt(MORNING_HOUR, 0, 0).expect("valid time"));
    vietnam()
        .from_local_datetime(&local)
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        vietnam()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn night_waits_for_six_and_quota_for_the_next_day() {
        assert_eq!(
            next_morning(vn(2026, 11, 23, 22, 30)),
            vn(2026, 11, 24, 6, 0)
        );
        assert_eq!(next_morning(vn(2026, 11, 24, 2, 0)), vn(2026, 11, 24, 6, 0));
        assert_eq!(next_morning(vn(2026, 11, 24, 6, 0)), vn(2026, 11, 25, 6, 0));
        assert_eq!(
            next_day_morning(vn(2026, 11, 24, 2, 0)),
            vn(2026, 11, 25, 6, 0)
        );
        assert_eq!(
            next_day_morning(vn(2026, 12, 31, 15, 0)),
            vn(2027, 1, 1, 6, 0)
        );
    }
}
