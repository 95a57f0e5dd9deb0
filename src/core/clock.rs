//! Time as a dependency: the system clock in production, a hand-driven clock in tests (so a
//! reminder 24 hours away is tested without waiting), and the quiet hours of Asia/Ho_Chi_Minh.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Timelike, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().expect("clock lock") += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock")
    }
}

/// Vietnam's time zone (UTC+7, no daylight saving).
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// No message to citizens from 21:00 to 07:00 Vietnam time.
pub const QUIET_FROM_HOUR: u32 = 21;
pub const QUIET_UNTIL_HOUR: u32 = 7;

/// The first moment at or after `at` outside the quiet hours.
pub fn outside_quiet_hours(at: DateTime<Utc>) -> DateTime<Utc> {
    let local = at.with_timezone(&vietnam());
    let hour = local.hour();
    if (QUIET_UNTIL_HOUR..QUIET_FROM_HOUR).contains(&hour) {
        return at;
    }
    let day = if hour >= QUIET_FROM_HOUR {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    };
    let morning =
        day.and_time(NaiveTime::from_hms_opt(QUIET_UNTIL_HOUR, 0, 0).expect("valid time"));
    vietnam()
        .from_local_datetime(&morning)
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        vietnam()
            .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn daytime_is_kept() {
        assert_eq!(outside_quiet_hours(vn(20, 7, 0)), vn(20, 7, 0));
        assert_eq!(outside_quiet_hours(vn(20, 20, 59)), vn(20, 20, 59));
    }

    #[test]
    fn evenings_and_nights_move_to_seven_in_the_morning() {
        assert_eq!(outside_quiet_hours(vn(20, 21, 0)), vn(21, 7, 0));
        assert_eq!(outside_quiet_hours(vn(20, 23, 30)), vn(21, 7, 0));
        assert_eq!(outside_quiet_hours(vn(21, 3, 0)), vn(21, 7, 0));
        assert_eq!(outside_quiet_hours(vn(21, 6, 59)), vn(21, 7, 0));
    }

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(vn(20, 9, 0));
        assert_eq!(clock.now(), vn(20, 9, 0));
        clock.advance(Duration::hours(24));
        assert_eq!(clock.now(), vn(21, 9, 0));
    }
}
