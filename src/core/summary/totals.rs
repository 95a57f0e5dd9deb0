//! What a summary is computed from: counts, not answer rows. Storage reads them from the running
//! totals (one count per agency, day, procedure, flow version, question and level or option);
//! [`PeriodTotals::from_rows`] computes the same counts from answer rows, so the pure tests and
//! callers that hold rows go through the one computation in [`super::build_totals`].
//!
//! [`answer_keys`] says what one answer adds to the totals; storage uses it both when a
//! response completes and when the totals are rebuilt, so the two cannot drift apart.

use super::{AnswerRow, Period, SHOWN, Scope, StratumTotals, TREND_PERIODS};
use crate::core::scoring;
use std::collections::{BTreeMap, BTreeSet};

/// How many respondents gave one value (a level `"1"`..`"5"`, `""` for a skipped scale, an
/// option) to one question.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnswerCount {
    pub question_id: String,
    /// The question's kind as stored (`scale`, `multiple_choice`, …).
    pub kind: String,
    pub value: String,
    pub count: u64,
}

/// The totals of a group of responses: a scope, a unit or a procedure over one period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Responses counted in the index (flagged ones are not).
    pub responses: u64,
    /// Sorted by question, kind and value.
    pub answers: Vec<AnswerCount>,
}

/// A free-text answer, for the "recent comments" of a summary (most recent first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub question_id: String,
    pub text: String,
}

/// Everything one period's summary needs besides the flow, the scope and invitation counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodTotals {
    /// The scope's tally in each of the [`TREND_PERIODS`] periods ending with this one, oldest
    /// first.
    pub trend: Vec<Tally>,
    /// Each direct unit's tally in this period, by unit code (units without responses may be
    /// absent).
    pub units: BTreeMap<String, Tally>,
    /// Each direct unit's tally in the previous period.
    pub units_before: BTreeMap<String, Tally>,
    /// Each procedure with responses in this period: `(code, name, tally)`, by code.
    pub procedures: Vec<(String, String, Tally)>,
    /// The most recent free-text answers of this period, newest first (a few are enough).
    pub comments: Vec<Comment>,
    /// Responses of this period kept out of the index because they look manufactured.
    pub flagged: u64,
    /// This period's strata (direct unit × submission channel) for the weighted index, sorted by
    /// unit and channel.
    pub strata: Vec<StratumTotals>,
    /// The previous period's strata, for the weighted index's change.
    pub strata_before: Vec<StratumTotals>,
}

/// Completed dossiers of one agency and submission channel in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierCount {
    pub agency_code: String,
    pub channel: String,
    pub dossiers: u64,
}

/// The values one answer adds to the totals: a scale's level (`""` for a skip), each option of
/// a multiple choice, the value of any other kind; nothing for free text.
pub fn answer_keys(kind: &str, value: &str, level: Option<u8>) -> Vec<String> {
    match kind {
        "text" => Vec::new(),
        "scale" => vec![level.map_or(String::new(), |l| l.to_string())],
        "multiple_choice" if value.is_empty() => Vec::new(),
        "multiple_choice" => value.split(';').map(str::to_string).collect(),
        _ => vec![value.to_string()],
    }
}

impl Tally {
    /// Adds counts, keeping `answers` sorted and merged.
    pub fn add(&mut self, answers: impl IntoIterator<Item = AnswerCount>) {
        let mut merged: BTreeMap<(String, String, String), u64> = self
            .answers
            .drain(..)
            .map(|a| ((a.question_id, a.kind, a.value), a.count))
            .collect();
        for answer in answers {
            *merged
                .entry((answer.question_id, answer.kind, answer.value))
                .or_default() += answer.count;
        }
        self.answers = merged
            .into_iter()
            .map(|((question_id, kind, value), count)| AnswerCount {
                question_id,
                kind,
                value,
                count,
            })
            .collect();
    }

    /// The scale answers as ratings with their counts.
    pub(super) fn ratings(&self) -> Vec<(scoring::Rating, u64)> {
        self.answers
            .iter()
            .filter(|a| a.kind == "scale")
            .map(|a| {
                let rating = scoring::Rating {
                    question: a.question_id.clone(),
                    level: a.value.parse().ok(),
                };
                (rating, a.count)
            })
            .collect()
    }

    fn of_rows(rows: &[&AnswerRow]) -> Tally {
        let ids: BTreeSet<i64> = rows.iter().map(|r| r.response_id).collect();
        let mut tally = Tally {
            responses: ids.len() as u64,
            answers: Vec::new(),
        };
        tally.add(rows.iter().flat_map(|row| {
            answer_keys(&row.kind, &row.value, row.level)
                .into_iter()
                .map(|value| AnswerCount {
                    question_id: row.question_id.clone(),
                    kind: row.kind.clone(),
                    value,
                    count: 1,
                })
        }));
        tally
    }
}

impl PeriodTotals {
    /// The totals of `period` computed from answer rows covering at least its trend periods
    /// (rows outside them are ignored). Rows are of responses counted in the index.
    pub fn from_rows(scope: &Scope, period: Period, rows: &[AnswerRow]) -> PeriodTotals {
        let within = |p: Period| -> Vec<&AnswerRow> {
            let (start, end) = (p.start(), p.end());
            rows.iter()
                .filter(|r| r.submitted_at >= start && r.submitted_at < end)
                .collect()
        };
        let current = within(period);
        let previous = within(period.previous());
        let of_units = |rows: &[&AnswerRow]| -> BTreeMap<String, Tally> {
            scope
                .units
                .iter()
                .map(|(code, _, codes)| {
                    let unit_rows: Vec<&AnswerRow> = rows
                        .iter()
                        .copied()
                        .filter(|r| codes.contains(&r.agency_code))
                        .collect();
                    (code.clone(), Tally::of_rows(&unit_rows))
                })
                .collect()
        };
        let mut by_procedure: BTreeMap<&str, Vec<&AnswerRow>> = BTreeMap::new();
        for row in &current {
            by_procedure
                .entry(&row.procedure_code)
                .or_default()
                .push(row);
        }
        let mut texts: Vec<&&AnswerRow> = current
            .iter()
            .filter(|r| r.kind == "text" && !r.value.trim().is_empty())
            .collect();
        texts.sort_by(|a, b| {
            b.submitted_at
                .cmp(&a.submitted_at)
                .then(b.response_id.cmp(&a.response_id))
        });
        PeriodTotals {
            trend: period
                .last(TREND_PERIODS)
                .into_iter()
                .map(|p| Tally::of_rows(&within(p)))
                .collect(),
            units: of_units(&current),
            units_before: of_units(&previous),
            procedures: by_procedure
                .into_iter()
                .map(|(code, rows)| {
                    (
                        code.to_string(),
                        rows[0].procedure_name.clone(),
                        Tally::of_rows(&rows),
                    )
                })
                .collect(),
            comments: texts
                .into_iter()
                .take(COMMENTS_READ)
                .map(|r| Comment {
                    question_id: r.question_id.clone(),
                    text: r.value.clone(),
                })
                .collect(),
            flagged: 0,
            strata: strata_of_rows(scope, &current),
            strata_before: strata_of_rows(scope, &previous),
        }
    }

    /// Adds the dossier counts of this period and the previous one to the strata (the answer
    /// rows cannot say how many dossiers nobody answered for).
    pub fn add_dossiers(&mut self, scope: &Scope, now: &[DossierCount], before: &[DossierCount]) {
        add_dossiers(&mut self.strata, scope, now);
        add_dossiers(&mut self.strata_before, scope, before);
    }
}

/// The direct unit of `scope` an agency is counted under: its own code for the scope itself.
pub fn unit_of<'a>(scope: &'a Scope, agency_code: &str) -> Option<&'a str> {
    if agency_code == scope.code {
        return Some(&scope.code);
    }
    scope
        .units
        .iter()
        .find(|(_, _, codes)| codes.iter().any(|c| c == agency_code))
        .map(|(code, _, _)| code.as_str())
}

fn add_dossiers(strata: &mut Vec<StratumTotals>, scope: &Scope, counts: &[DossierCount]) {
    for count in counts {
        let Some(unit) = unit_of(scope, &count.agency_code) else {
            continue;
        };
        match strata
            .iter_mut()
            .find(|s| s.unit == unit && s.channel == count.channel)
        {
            Some(stratum) => stratum.dossiers += count.dossiers,
            None => strata.push(StratumTotals {
                unit: unit.to_string(),
                channel: count.channel.clone(),
                dossiers: count.dossiers,
                ..StratumTotals::default()
            }),
        }
    }
    strata.sort_by(|a, b| (&a.unit, &a.channel).cmp(&(&b.unit, &b.channel)));
}

/// Strata from answer rows: responses and scale answers per (unit, channel), no dossiers.
fn strata_of_rows(scope: &Scope, rows: &[&AnswerRow]) -> Vec<StratumTotals> {
    let mut grouped: BTreeMap<(String, String), Vec<&AnswerRow>> = BTreeMap::new();
    for row in rows {
        if let Some(unit) = unit_of(scope, &row.agency_code) {
            grouped
                .entry((unit.to_string(), row.submission_channel.clone()))
                .or_default()
                .push(row);
        }
    }
    grouped
        .into_iter()
        .map(|((unit, channel), rows)| {
            let mut tally = Tally::of_rows(&rows);
            tally.answers.retain(|a| a.kind == "scale");
            StratumTotals {
                unit,
                channel,
                dossiers: 0,
                tally,
                delivered: None,
            }
        })
        .collect()
}

/// How many recent comments storage reads (with a `LIMIT`): more than are shown, because a
/// comment to a question the current flow no longer has as free text is skipped.
pub const COMMENTS_READ: usize = SHOWN * 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_keys_by_kind() {
        assert_eq!(answer_keys("scale", "4", Some(4)), vec!["4"]);
        assert_eq!(answer_keys("scale", "", None), vec![""]);
        assert_eq!(answer_keys("multiple_choice", "a;b", None), vec!["a", "b"]);
        assert!(answer_keys("multiple_choice", "", None).is_empty());
        assert!(answer_keys("text", "xin chào", None).is_empty());
        assert_eq!(answer_keys("yes_no", "yes", None), vec!["yes"]);
    }

    #[test]
    fn tallies_merge_counts() {
        let count = |value: &str, count| AnswerCount {
            question_id: "q".into(),
            kind: "scale".into(),
            value: value.into(),
            count,
        };
        let mut tally = Tally::default();
        tally.add([count("5", 2), count("4", 1)]);
        tally.add([count("5", 3)]);
        assert_eq!(tally.answers, vec![count("4", 1), count("5", 5)]);
    }
}
