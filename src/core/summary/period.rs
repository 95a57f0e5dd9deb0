//! Reporting periods as officials name them: an ISO week (`2026-W47`), a month (`2026-11`), a
//! quarter (`2026-Q3`) or a year (`2026`), each running from its first day 00:00 to the day after
//! its last, in Vietnam time (UTC+7). The official SIPAS index is yearly; weeks drive the
//! Monday summaries.

use super::Week;
use crate::core::clock::vietnam;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Week(Week),
    /// A calendar month, 1..=12.
    Month {
        year: i32,
        month: u32,
    },
    /// A calendar quarter, 1..=4.
    Quarter {
        year: i32,
        quarter: u32,
    },
    Year(i32),
}

/// What kind of period a summary covers; picks the title and the trend's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    /// The suffix of locale ids that differ by kind (`summary-trend-week`, …).
    pub fn id(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }
}

impl Period {
    /// Reads `2026-W47`, `2026-11`, `2026-Q3` or `2026`, of a year from 2000 to 2100: every
    /// later step (previous, next, the last N) then stays far inside chrono's range, so a
    /// crafted label such as `99999-W01` is refused here instead of panicking a page.
    pub fn parse(text: &str) -> Option<Period> {
        const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
        let text = text.trim();
        let year_of = |digits: &str| {
            (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<i32>().ok())
                .flatten()
                .filter(|year| YEARS.contains(year))
        };
        if let Some((year, _)) = text.split_once("-W") {
            year_of(year)?;
            return Week::parse(text).map(Period::Week);
        }
        match text.split_once('-') {
            None => year_of(text).map(Period::Year),
            Some((year, rest)) => {
                let year = year_of(year)?;
                if let Some(quarter) = rest.strip_prefix('Q') {
                    let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
                    (quarter.to_string() == rest[1..]).then_some(Period::Quarter { year, quarter })
                } else {
                    let month: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
                    (rest.len() == 2).then_some(Period::Month { year, month })
                }
            }
        }
    }

    /// The period of `kind` containing `at` in Vietnam time.
    pub fn containing(kind: PeriodKind, at: DateTime<Utc>) -> Period {
        let day = at.with_timezone(&vietnam()).date_naive();
        match kind {
            PeriodKind::Week => Period::Week(Week::containing(at)),
            PeriodKind::Month => Period::Month {
                year: day.year(),
                month: day.month(),
            },
            PeriodKind::Quarter => Period::Quarter {
                year: day.year(),
                quarter: (day.month() - 1) / 3 + 1,
            },
            PeriodKind::Year => Period::Year(day.year()),
        }
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Week(_) => PeriodKind::Week,
            Period::Month { .. } => PeriodKind::Month,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Year(_) => PeriodKind::Year,
        }
    }

    /// The label [`Period::parse`] reads back.
    pub fn label(self) -> String {
        match self {
            Period::Week(week) => week.label(),
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Period::Year(year) => year.to_string(),
        }
    }

    /// The first day (Vietnam date).
    pub fn first_day(self) -> NaiveDate {
        let date = |year, month| NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
        match self {
            Period::Week(week) => week.monday(),
            Period::Month { year, month } => date(year, month),
            Period::Quarter { year, quarter } => date(year, (quarter - 1) * 3 + 1),
            Period::Year(year) => date(year, 1),
        }
    }

    /// The last day (Vietnam date).
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - Duration::days(1)
    }

    /// The first instant, in UTC.
    pub fn start(self) -> DateTime<Utc> {
        vietnam()
            .from_local_datetime(&self.first_day().and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    }

    /// The first instant after the period.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        at >= self.start() && at < self.end()
    }

    pub fn previous(self) -> Period {
        match self {
            Period::Week(week) => Period::Week(week.previous()),
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            Period::Year(year) => Period::Year(year - 1),
        }
    }

    pub fn next(self) -> Period {
        match self {
            Period::Week(week) => Period::Week(week.next()),
            Period::Month { year, month: 12 } => Period::Month {
                year: year + 1,
                month: 1,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month + 1,
            },
            Period::Quarter { year, quarter: 4 } => Period::Quarter {
                year: year + 1,
                quarter: 1,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter + 1,
            },
            Period::Year(year) => Period::Year(year + 1),
        }
    }

    /// `count` periods ending with this one, oldest first.
    pub fn last(self, count: usize) -> Vec<Period> {
        let mut periods = vec![self];
        while periods.len() < count {
            periods.push(periods.last().expect("non-empty").previous());
        }
        periods.reverse();
        periods
    }
}

impl From<Week> for Period {
    fn from(week: Week) -> Period {
        Period::Week(week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn labels_parse_and_print_back() {
        for label in ["2026-W47", "2026-11", "2026-01", "2026-Q3", "2026"] {
            assert_eq!(Period::parse(label).unwrap().label(), label);
        }
        assert_eq!(
            Period::parse("2026-Q3"),
            Some(Period::Quarter {
                year: 2026,
                quarter: 3
            })
        );
        for bad in [
            "", "26", "2026-13", "2026-1", "2026-Q5", "2026-Q0", "2026-Q03", "2026-W54", "năm",
            "2026-",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_outside_2000_to_2100_are_refused_and_the_edges_step_safely() {
        for bad in [
            "99999-W01",
            "-9999-W01",
            "1999-W52",
            "2101-W01",
            "1999",
            "2101-01",
            "99999",
            "+2026-W01",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        for edge in ["2000-W01", "2100-W52", "2100-12", "2000-Q1", "2100"] {
            let period = Period::parse(edge).unwrap_or_else(|| panic!("{edge}"));
            let _ = (period.previous(), period.next(), period.last(520));
            assert!(period.start() < period.end(), "{edge}");
        }
    }

    #[test]
    fn ranges_run_in_vietnam_time() {
        let quarter = Period::parse("2026-Q3").unwrap();
        assert_eq!(
            (quarter.first_day(), quarter.last_day()),
            (day(2026, 7, 1), day(2026, 9, 30))
        );
        assert_eq!(quarter.start().to_rfc3339(), "2026-06-30T17:00:00+00:00");
        let february = Period::parse("2028-02").unwrap();
        assert_eq!(february.last_day(), day(2028, 2, 29), "a leap year");
        let year = Period::parse("2026").unwrap();
        assert_eq!(year.last_day(), day(2026, 12, 31));
        // 23:30 on 31/12 in Vietnam is still the year; 00:30 on 1/1 is the next.
        let late = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap();
        assert!(year.contains(late));
        assert!(!year.contains(late + Duration::hours(1)));
        assert_eq!(
            Period::containing(PeriodKind::Year, late + Duration::hours(1)),
            Period::Year(2027)
        );
        assert_eq!(
            Period::containing(PeriodKind::Quarter, late),
            Period::parse("2026-Q4").unwrap()
        );
    }

    #[test]
    fn previous_and_next_cross_years() {
        let january = Period::parse("2026-01").unwrap();
        assert_eq!(january.previous().label(), "2025-12");
        assert_eq!(january.previous().next(), january);
        assert_eq!(
            Period::parse("2026-Q1").unwrap().previous().label(),
            "2025-Q4"
        );
        assert_eq!(Period::parse("2026").unwrap().previous().label(), "2025");
        assert_eq!(
            Period::parse("2026-W01").unwrap().previous().label(),
            "2025-W52"
        );
        let labels: Vec<String> = Period::parse("2026-02")
            .unwrap()
            .last(3)
            .into_iter()
            .map(Period::label)
            .collect();
        assert_eq!(labels, ["2025-12", "2026-01", "2026-02"]);
    }
}
