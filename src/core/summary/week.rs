//! Weeks as officials read them: ISO weeks, Monday 00:00 to Sunday 24:00, Asia/Ho_Chi_Minh.

use crate::core::clock::vietnam;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Week {
    /// The Monday that starts the week (Vietnam date).
    monday: NaiveDate,
}

impl Week {
    /// The week containing `at` in Vietnam time.
    pub fn containing(at: DateTime<Utc>) -> Week {
        let local = at.with_timezone(&vietnam()).date_naive();
        Week {
            monday: local - Duration::days(i64::from(local.weekday().num_days_from_monday())),
        }
    }

    /// Reads `2026-W47`.
    pub fn parse(text: &str) -> Option<Week> {
        let (year, week) = text.trim().split_once("-W")?;
        let monday =
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)?;
        Some(Week { monday })
    }

    pub fn label(self) -> String {
        let iso = self.monday.iso_week();
        format!("{}-W{:02}", iso.year(), iso.week())
    }

    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday + Duration::days(6)
    }

    /// The first instant of the week, in UTC.
    pub fn start(self) -> DateTime<Utc> {
        vietnam()
            .from_local_datetime(&self.monday.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    }

    /// The first instant after the week.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    pub fn previous(self) -> Week {
        Week {
            monday: self.monday - Duration::days(7),
        }
    }

    pub fn next(self) -> Week {
        Week {
            monday: self.monday + Duration::days(7),
        }
    }
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
    fn weeks_run_monday_to_sunday_in_vietnam_time() {
        let week = Week::parse("2026-W47").unwrap();
        assert_eq!(
            week.monday(),
            NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
        );
        assert_eq!(
            week.sunday(),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        assert_eq!(week.start(), vn(16, 0, 0));
        assert_eq!(week.start().to_rfc3339(), "2026-11-15T17:00:00+00:00");
        assert_eq!(
            Week::containing(vn(22, 23, 59)),
            week,
            "Sunday night is still this week"
        );
        assert_eq!(
            Week::containing(vn(23, 0, 0)),
            week.next(),
            "Monday 00:00 starts the next"
        );
        // 16:30 UTC on Sunday is 23:30 in Vietnam: the same week, though UTC says Sunday too.
        let late_sunday = Utc.with_ymd_and_hms(2026, 11, 22, 16, 30, 0).unwrap();
        assert_eq!(Week::containing(late_sunday), week);
        let after_midnight = Utc.with_ymd_and_hms(2026, 11, 22, 17, 10, 0).unwrap();
        assert_eq!(Week::containing(after_midnight), week.next());
        assert_eq!(week.label(), "2026-W47");
        assert_eq!(week.previous().label(), "2026-W46");
    }

    #[test]
    fn bad_week_labels_are_refused() {
        for text in ["2026-47", "2026-W54", "W47", ""] {
            assert_eq!(Week::parse(text), None, "{text}");
        }
        assert!(Week::parse("2026-W53").is_some(), "2026 has 53 ISO weeks");
        assert_eq!(Week::parse("2025-W53"), None, "2025 has 52");
    }
}
