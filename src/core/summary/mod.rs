//! SIPAS summaries for officials, pure: from a scope's counts (an agency and every unit under
//! it) over a period (a week, month, quarter or year) to every figure the message, the chart, the
//! JSON and the XLSX show. It does no I/O: storage reads the counts from the running totals
//! ([`PeriodTotals`]), and [`build_period`] computes the same counts from answer rows.
//!
//! Figures follow the method in ../shared/sipas-method.md through [`crate::core::scoring`]; a change is
//! this period's index minus the previous one's, in percentage points; the trend is the last
//! [`TREND_PERIODS`] periods.

mod canvas;
pub mod chart;
pub mod fit;
mod mask;
mod period;
mod procedures;
pub mod render;
pub mod themes;
mod totals;
mod units;
mod week;
mod weighted;
pub mod xlsx;

pub use mask::mask;
pub use period::{Period, PeriodKind};
pub use procedures::{
    DEFAULT_MIN_RESPONSES as DEFAULT_PROCEDURE_MIN_RESPONSES, ProcedureFigure, Procedures,
};
pub use totals::{
    AnswerCount, COMMENTS_READ, Comment, DossierCount, PeriodTotals, Tally, answer_keys, unit_of,
};
pub use week::Week;
pub use weighted::{
    CHANNELS, Reach, ResponseRates, Stratum, StratumTotals, UnitRef, Weighted, WeightedFactor,
    WeightedFigure, response_rates, weighted,
};

use crate::core::flow::{Flow, Lang, QuestionKind};
use crate::core::scoring;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Units with fewer responses in the week are listed apart and not ranked.
pub const MIN_RESPONSES_TO_RANK: u64 = 10;
/// Below this many responses the summary warns that it is too small to conclude.
pub const MIN_RESPONSES_TO_CONCLUDE: u64 = 30;
/// How many weakest criteria, top expectations, comments and procedures are shown.
pub const SHOWN: usize = 3;
/// How many periods the trend covers, the summarized one last.
pub const TREND_PERIODS: usize = 4;
/// The index provinces aim at by 2025 (95% by 2030), unless `SIPAS_TARGET` says otherwise.
pub const DEFAULT_TARGET: f64 = 0.90;

/// What a summary is computed with, besides its rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Also give the index as points on this maximum (e.g. 24).
    pub points_max: Option<f64>,
    /// A procedure needs this many responses to be listed among the lowest-rated.
    pub procedure_min_responses: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            points_max: None,
            procedure_min_responses: DEFAULT_PROCEDURE_MIN_RESPONSES,
        }
    }
}

/// One stored answer of a completed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    pub response_id: i64,
    pub agency_code: String,
    /// The administrative procedure of the dossier (from its completion notice).
    pub procedure_code: String,
    pub procedure_name: String,
    pub submitted_at: DateTime<Utc>,
    pub question_id: String,
    pub kind: String,
    pub value: String,
    pub level: Option<u8>,
    /// How the dossier was submitted (`direct`, `online`, `postal`): its stratum.
    pub submission_channel: String,
}

/// Invitations created in the week, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub invitations: u64,
    pub responses: u64,
    pub declines: u64,
    pub undeliverable: u64,
    /// Answered, then withdrawn by the citizen (`/xoa`): asked and not answered.
    pub withdrawn: u64,
}

/// What a summary covers: an agency, its direct units, and every agency code under each.
#[derive(Debug, Clone)]
pub struct Scope {
    pub code: String,
    pub name: String,
    /// Every code in the scope, the agency's own included.
    pub codes: Vec<String>,
    /// Direct sub-units: (code, name, every code under it).
    pub units: Vec<(String, String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// This week's index (0..=1), `None` without answers.
    pub value: Option<f64>,
    /// Change from last week in percentage points.
    pub change: Option<f64>,
    /// The last four weeks, oldest first (this week last).
    pub trend: Vec<Option<f64>>,
    /// 95% margin of error (0..=1).
    pub margin: Option<f64>,
    pub sample: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorFigure {
    pub factor: String,
    pub name: String,
    pub figure: Figure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub question: String,
    pub text: String,
    pub rate: f64,
    pub answered: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub index: Option<f64>,
    pub responses: u64,
    /// `(rank, of)` among the ranked peers, e.g. `(2, 11)`.
    pub rank: Option<(usize, usize)>,
    /// The index as points on the configured maximum.
    pub points: Option<f64>,
    /// Change from the previous period, in percentage points.
    pub change: Option<f64>,
    /// The unit's index weighted to its dossiers by submission channel.
    pub weighted_index: Option<f64>,
    /// Responses over the unit's dossiers of the period.
    pub response_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    pub option: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Points {
    pub maximum: f64,
    pub value: f64,
}

/// Every figure of one period's summary for one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklySummary {
    pub agency_code: String,
    pub agency_name: String,
    /// The period's label (`2026-W47`, `2026-11`, `2026-Q3`, `2026`); named `week` because
    /// weekly summaries came first and readers of the JSON use it.
    pub week: String,
    pub period_kind: PeriodKind,
    /// The labels of the trend's periods, oldest first (this one last).
    pub trend_periods: Vec<String>,
    pub from: String,
    pub to: String,
    pub counts: Counts,
    pub response_rate: Option<f64>,
    pub overall: Figure,
    pub factors: Vec<FactorFigure>,
    pub points: Option<Points>,
    pub weakest: Vec<Criterion>,
    /// Ranked units, best first.
    pub units: Vec<Unit>,
    /// Units with too few responses to rank.
    pub small_units: Vec<Unit>,
    pub expectations: Vec<Expectation>,
    /// Recent comments, masked.
    pub comments: Vec<String>,
    pub procedures: Procedures,
    pub too_small_to_conclude: bool,
    /// Responses of the period that look manufactured (one chat answering many dossiers, or
    /// answers faster than anyone reads): stored, shown apart, and left out of every figure.
    pub flagged: u64,
    /// The index weighted to the dossier population (units × submission channels).
    pub weighted: Weighted,
    /// Responses over dossiers per channel and per unit.
    pub response_rates: ResponseRates,
    /// What citizens wrote and chose, grouped into themes, most frequent first (empty until
    /// the officials' service attaches them with its lexicon).
    pub themes: Vec<themes::ThemeFigure>,
    /// The same per direct unit.
    pub unit_themes: Vec<themes::UnitThemes>,
}

/// Builds the summary of `week` from rows covering at least the four weeks ending with it.
pub fn build(
    flow: &Flow,
    lang: Lang,
    scope: &Scope,
    week: Week,
    rows: &[AnswerRow],
    counts: Counts,
    points_max: Option<f64>,
) -> WeeklySummary {
    let options = Options {
        points_max,
        ..Options::default()
    };
    build_period(flow, lang, scope, week.into(), rows, counts, options)
}

/// Builds the summary of `period` from rows covering at least the [`TREND_PERIODS`] periods
/// ending with it (rows outside them are ignored).
pub fn build_period(
    flow: &Flow,
    lang: Lang,
    scope: &Scope,
    period: Period,
    rows: &[AnswerRow],
    counts: Counts,
    options: Options,
) -> WeeklySummary {
    let totals = PeriodTotals::from_rows(scope, period, rows);
    build_totals(flow, lang, scope, period, &totals, counts, options)
}

/// Builds the summary of `period` from its totals: what the officials' service does, reading
/// the running totals.
pub fn build_totals(
    flow: &Flow,
    lang: Lang,
    scope: &Scope,
    period: Period,
    totals: &PeriodTotals,
    counts: Counts,
    options: Options,
) -> WeeklySummary {
    let periods = period.last(TREND_PERIODS);
    let empty = Tally::default();
    let cards: Vec<scoring::Scorecard> = (0..periods.len())
        .map(|i| card(flow, totals.trend.get(i).unwrap_or(&empty)))
        .collect();
    let current = cards.last().expect("four periods");
    let previous = &cards[cards.len() - 2];
    let this_period = totals.trend.last().unwrap_or(&empty);
    let responses = this_period.responses;
    let figure = |pick: &dyn Fn(&scoring::Scorecard) -> Option<f64>, sample: u64| {
        let value = pick(current);
        Figure {
            value,
            change: value
                .zip(pick(previous))
                .map(|(now, before)| (now - before) * 100.0),
            trend: cards.iter().map(pick).collect(),
            margin: value.and_then(|v| scoring::margin_of_error(v, sample)),
            sample,
        }
    };
    let overall = figure(&|c| c.overall, responses);
    let factors = flow
        .factors
        .iter()
        .map(|factor| {
            let sample = current
                .factors
                .iter()
                .find(|f| f.factor == factor.id)
                .map_or(0, |f| f.answered);
            FactorFigure {
                factor: factor.id.clone(),
                name: factor.name.get(lang).to_string(),
                figure: figure(
                    &|c| {
                        c.factors
                            .iter()
                            .find(|f| f.factor == factor.id)
                            .and_then(|f| f.index)
                    },
                    sample,
                ),
            }
        })
        .collect();
    let mut weakest: Vec<Criterion> = current
        .criteria
        .iter()
        .filter_map(|c| {
            Some(Criterion {
                question: c.question.clone(),
                text: flow.question(&c.question)?.text.get(lang).to_string(),
                rate: c.rate?,
                answered: c.answered,
            })
        })
        .collect();
    weakest.sort_by(|a, b| a.rate.total_cmp(&b.rate).then(a.question.cmp(&b.question)));
    weakest.truncate(SHOWN);

    let points_max = options.points_max;
    let mut names: Vec<(String, String)> = scope
        .units
        .iter()
        .map(|(code, name, _)| (code.clone(), name.clone()))
        .collect();
    names.push((scope.code.clone(), scope.name.clone()));
    let previous_weighted = weighted::weighted_index(flow, &totals.strata_before);
    let weighted = weighted::weighted(flow, &totals.strata, &names, previous_weighted);
    let response_rates = weighted::response_rates(flow, &totals.strata, &names, &|c| c.to_string());
    let (mut units, mut small_units) = units::rank(flow, scope, totals, points_max);
    for unit in units.iter_mut().chain(small_units.iter_mut()) {
        unit.weighted_index = weighted.units.get(&unit.code).and_then(|f| f.index);
        unit.response_rate = response_rates
            .by_unit
            .iter()
            .find(|r| r.key == unit.code)
            .and_then(|r| r.rate);
    }
    WeeklySummary {
        agency_code: scope.code.clone(),
        agency_name: scope.name.clone(),
        week: period.label(),
        period_kind: period.kind(),
        trend_periods: periods.iter().map(|p| p.label()).collect(),
        from: crate::core::i18n::date(period.first_day(), lang),
        to: crate::core::i18n::date(period.last_day(), lang),
        counts,
        response_rate: (counts.invitations > 0)
            .then(|| counts.responses as f64 / counts.invitations as f64),
        points: points_max
            .zip(overall.value)
            .map(|(maximum, value)| Points {
                maximum,
                value: scoring::points(value, maximum),
            }),
        overall,
        factors,
        weakest,
        units,
        small_units,
        expectations: expectations(flow, lang, this_period),
        comments: comments(flow, &totals.comments),
        procedures: procedures::figures(
            flow,
            &totals.procedures,
            options.procedure_min_responses,
            SHOWN,
        ),
        too_small_to_conclude: responses < MIN_RESPONSES_TO_CONCLUDE,
        flagged: totals.flagged,
        weighted,
        response_rates,
        themes: Vec::new(),
        unit_themes: Vec::new(),
    }
}

/// The plain SIPAS scorecard of a tally: the one computation of every index in the product
/// (summaries, units, procedures, strata, the demo).
pub fn card(flow: &Flow, tally: &Tally) -> scoring::Scorecard {
    let ratings = tally.ratings();
    let counted: Vec<(&scoring::Rating, u64)> = ratings.iter().map(|(r, n)| (r, *n)).collect();
    scoring::score_counts(&factor_specs(flow), &criteria(flow), &counted)
}

/// The flow's factors as the scoring core takes them, in display order.
pub fn factor_specs(flow: &Flow) -> Vec<scoring::FactorSpec> {
    flow.factors
        .iter()
        .map(|factor| scoring::FactorSpec {
            id: factor.id.clone(),
            in_index: factor.in_index,
        })
        .collect()
}

/// The flow's scale questions with the factor each scores.
pub fn criteria(flow: &Flow) -> Vec<scoring::Criterion> {
    flow.questions
        .iter()
        .filter_map(|question| {
            question.factor().map(|factor| scoring::Criterion {
                question: question.id.clone(),
                factor: factor.to_string(),
            })
        })
        .collect()
}

fn expectations(flow: &Flow, lang: Lang, tally: &Tally) -> Vec<Expectation> {
    let mut found: Vec<Expectation> = tally
        .answers
        .iter()
        .filter(|a| a.kind == "multiple_choice")
        .map(|a| {
            let label = flow
                .question(&a.question_id)
                .and_then(|q| q.options().iter().find(|o| o.id == a.value))
                .map_or(a.value.clone(), |o| o.text.get(lang).to_string());
            Expectation {
                option: a.value.clone(),
                label,
                count: a.count,
            }
        })
        .collect();
    found.sort_by(|a, b| b.count.cmp(&a.count).then(a.option.cmp(&b.option)));
    found.truncate(SHOWN);
    found
}

fn comments(flow: &Flow, recent: &[Comment]) -> Vec<String> {
    let is_text = |question: &str| {
        flow.question(question)
            .is_some_and(|q| matches!(q.kind, QuestionKind::Text { .. }))
    };
    recent
        .iter()
        .filter(|c| is_text(&c.question_id) && !c.text.trim().is_empty())
        .take(SHOWN)
        .map(|c| mask(&c.text))
        .collect()
}

#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod tests;
