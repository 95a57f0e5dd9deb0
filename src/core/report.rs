//! SIPAS summaries: the indices of an agency and every unit under it, from stored ratings, and
//! their rendering as text in the reader's language. Pure: the caller reads the rows (storage
//! fills the row types defined here) and the tree.

use crate::core::agency::AgencyTree;
use crate::core::flow::{Flow, Lang};
use crate::core::i18n::{self, Locales};
use crate::core::scoring::{self, Criterion, FactorSpec, Rating, Scorecard};
use std::collections::HashSet;

/// One scale answer of a completed response, as storage reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRating {
    pub agency_code: String,
    pub flow_version_id: i64,
    pub question_id: String,
    pub level: Option<u8>,
}

/// Invitations of one agency by outcome, as storage counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyCounts {
    pub agency_code: String,
    pub invitations: u64,
    pub responses: u64,
    pub declines: u64,
    pub undeliverable: u64,
}

/// The figures of one agency, its subtree included.
#[derive(Debug, Clone, PartialEq)]
pub struct AgencySummary {
    pub code: String,
    pub name: String,
    /// Depth in the tree: 0 for a root.
    pub depth: usize,
    pub invitations: u64,
    pub responses: u64,
    pub declines: u64,
    pub scorecard: Scorecard,
}

impl AgencySummary {
    pub fn response_rate(&self) -> Option<f64> {
        (self.invitations > 0).then(|| self.responses as f64 / self.invitations as f64)
    }
}

/// Scores every agency over its subtree, in tree order (each parent before its children).
pub fn by_agency(
    flow: &Flow,
    tree: &AgencyTree,
    ratings: &[StoredRating],
    counts: &[AgencyCounts],
) -> Vec<AgencySummary> {
    let factors = factor_specs(flow);
    let criteria = criteria(flow);
    tree.in_tree_order()
        .into_iter()
        .map(|(agency, depth)| {
            let codes: HashSet<&str> = tree.subtree(&agency.code).into_iter().collect();
            let in_scope = |code: &str| codes.contains(code);
            let scoped: Vec<Rating> = ratings
                .iter()
                .filter(|r| in_scope(&r.agency_code))
                .map(|r| Rating {
                    question: r.question_id.clone(),
                    level: r.level,
                })
                .collect();
            let mut summary = AgencySummary {
                code: agency.code.clone(),
                name: agency.name.clone(),
                depth,
                invitations: 0,
                responses: 0,
                declines: 0,
                scorecard: scoring::score(&factors, &criteria, &scoped),
            };
            for count in counts.iter().filter(|c| in_scope(&c.agency_code)) {
                summary.invitations += count.invitations;
                summary.responses += count.responses;
                summary.declines += count.declines;
            }
            summary
        })
        .collect()
}

pub fn factor_specs(flow: &Flow) -> Vec<FactorSpec> {
    flow.factors
        .iter()
        .map(|factor| FactorSpec {
            id: factor.id.clone(),
            in_index: factor.in_index,
        })
        .collect()
}

pub fn criteria(flow: &Flow) -> Vec<Criterion> {
    flow.questions
        .iter()
        .filter_map(|question| {
            question.factor().map(|factor| Criterion {
                question: question.id.clone(),
                factor: factor.to_string(),
            })
        })
        .collect()
}

/// The summary as text: the first agency in full, then one line per unit under it.
pub fn render_text(
    locales: &Locales,
    lang: Lang,
    flow: &Flow,
    summaries: &[AgencySummary],
) -> String {
    let Some(top) = summaries.first() else {
        return locales.text(lang, "summary-empty", &[]);
    };
    let percent_or_none = |rate: Option<f64>| match rate {
        Some(rate) => i18n::percent(rate, lang),
        None => locales.text(lang, "summary-no-data", &[]),
    };
    let mut out = Vec::new();
    out.push(locales.text(lang, "summary-title", &[("agency", top.name.clone())]));
    out.push(locales.text(
        lang,
        "summary-counts",
        &[
            ("invitations", i18n::integer(top.invitations as i64, lang)),
            ("responses", i18n::integer(top.responses as i64, lang)),
            ("rate", percent_or_none(top.response_rate())),
            ("declines", i18n::integer(top.declines as i64, lang)),
        ],
    ));
    out.push(locales.text(
        lang,
        "summary-overall",
        &[("index", percent_or_none(top.scorecard.overall))],
    ));
    for factor in &top.scorecard.factors {
        let name = flow
            .factor(&factor.factor)
            .map_or(factor.factor.clone(), |f| f.name.get(lang).to_string());
        out.push(locales.text(
            lang,
            "summary-factor",
            &[("factor", name), ("index", percent_or_none(factor.index))],
        ));
    }
    if summaries.len() > 1 {
        out.push(String::new());
        out.push(locales.text(lang, "summary-units", &[]));
        for unit in &summaries[1..] {
            let indent = "  ".repeat(unit.depth.saturating_sub(top.depth));
            out.push(format!(
                "{indent}{}",
                locales.text(
                    lang,
                    "summary-unit",
                    &[
                        ("agency", unit.name.clone()),
                        ("code", unit.code.clone()),
                        ("index", percent_or_none(unit.scorecard.overall)),
                        ("responses", i18n::integer(unit.responses as i64, lang)),
                    ],
                )
            ));
        }
    }
    out.join("\n")
}
