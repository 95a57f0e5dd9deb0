//! Figures per administrative procedure (thủ tục), because officials fix problems procedure by
//! procedure: every procedure's index and 95% margin, the busiest first, and the lowest-rated
//! among those with at least a minimum sample (a setting), so a handful of answers cannot put a
//! procedure on the list.

use super::{Tally, card};
use crate::core::flow::Flow;
use crate::core::scoring;
use serde::Serialize;

/// The minimum responses for a procedure to be called among the lowest-rated, unless set.
pub const DEFAULT_MIN_RESPONSES: u64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureFigure {
    pub code: String,
    pub name: String,
    pub responses: u64,
    /// The SIPAS index (0..=1) of the procedure's responses, `None` without ratings.
    pub index: Option<f64>,
    /// 95% margin of error (0..=1).
    pub margin: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Procedures {
    /// Every procedure with responses in the period, most responses first.
    pub all: Vec<ProcedureFigure>,
    /// The lowest-rated with at least `min_responses`, lowest first.
    pub lowest: Vec<ProcedureFigure>,
    pub min_responses: u64,
}

impl Procedures {
    /// The `count` procedures with the most responses.
    pub fn busiest(&self, count: usize) -> &[ProcedureFigure] {
        &self.all[..self.all.len().min(count)]
    }
}

pub(super) fn figures(
    flow: &Flow,
    tallies: &[(String, String, Tally)],
    min_responses: u64,
    shown: usize,
) -> Procedures {
    let mut all: Vec<ProcedureFigure> = tallies
        .iter()
        .map(|(code, name, tally)| {
            let responses = tally.responses;
            let index = card(flow, tally).overall;
            ProcedureFigure {
                code: code.clone(),
                name: name.clone(),
                responses,
                index,
                margin: index.and_then(|v| scoring::margin_of_error(v, responses)),
            }
        })
        .collect();
    all.sort_by(|a, b| b.responses.cmp(&a.responses).then(a.code.cmp(&b.code)));
    let mut lowest: Vec<ProcedureFigure> = all
        .iter()
        .filter(|p| p.responses >= min_responses && p.index.is_some())
        .cloned()
        .collect();
    lowest.sort_by(|a, b| {
        a.index
            .unwrap_or(0.0)
            .total_cmp(&b.index.unwrap_or(0.0))
            .then(a.code.cmp(&b.code))
    });
    lowest.truncate(shown);
    Procedures {
        all,
        lowest,
        min_responses,
    }
}
