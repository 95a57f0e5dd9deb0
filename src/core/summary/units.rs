//! Direct units ranked among their peers for one period, in the shape provinces publish: the
//! index, the points on the configured maximum, the rank (`2/11`) and the change from the
//! previous period. Units with too few responses are kept apart and not ranked.

use super::{MIN_RESPONSES_TO_RANK, PeriodTotals, Scope, Tally, Unit, card};
use crate::core::flow::Flow;
use crate::core::scoring;

/// `(ranked best first, too small to rank)` for this period's unit totals, with each unit's
/// change from its index in the previous period.
pub(super) fn rank(
    flow: &Flow,
    scope: &Scope,
    totals: &PeriodTotals,
    points_max: Option<f64>,
) -> (Vec<Unit>, Vec<Unit>) {
    let mut ranked = Vec::new();
    let mut small = Vec::new();
    let empty = Tally::default();
    for (code, name, _) in &scope.units {
        let tally = totals.units.get(code).unwrap_or(&empty);
        let index = card(flow, tally).overall;
        let before = card(flow, totals.units_before.get(code).unwrap_or(&empty)).overall;
        let unit = Unit {
            code: code.clone(),
            name: name.clone(),
            index,
            responses: tally.responses,
            rank: None,
            points: points_max
                .zip(index)
                .map(|(maximum, value)| scoring::points(value, maximum)),
            change: index.zip(before).map(|(now, then)| (now - then) * 100.0),
            weighted_index: None,
            response_rate: None,
        };
        if unit.responses >= MIN_RESPONSES_TO_RANK && unit.index.is_some() {
            ranked.push(unit);
        } else {
            small.push(unit);
        }
    }
    ranked.sort_by(|a, b| {
        b.index
            .unwrap_or(0.0)
            .total_cmp(&a.index.unwrap_or(0.0))
            .then(a.code.cmp(&b.code))
    });
    let of = ranked.len();
    for (position, unit) in ranked.iter_mut().enumerate() {
        unit.rank = Some((position + 1, of));
    }
    (ranked, small)
}
