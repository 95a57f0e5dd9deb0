//! Direct units ranked among their peers for one period, in the shape provinces publish: the
//! index, the points on the configured maximum, the rank (`2/11`) and the change from the
//! previous period. Units with too few responses are kept apart and not ranked.

use super::{AnswerRow, MIN_RESPONSES_TO_RANK, Scope, Unit, card, distinct_responses};
use crate::flow::Flow;
use crate::scoring;

/// `(ranked best first, too small to rank)` for `current`'s rows, with each unit's change
/// from its index over `previous`'s rows.
pub(super) fn rank(
    flow: &Flow,
    scope: &Scope,
    current: &[&AnswerRow],
    previous: &[&AnswerRow],
    points_max: Option<f64>,
) -> (Vec<Unit>, Vec<Unit>) {
    let mut ranked = Vec::new();
    let mut small = Vec::new();
    for (code, name, codes) in &scope.units {
        let unit_rows = of_unit(current, codes);
        let index = card(flow, &unit_rows).overall;
        let before = card(flow, &of_unit(previous, codes)).overall;
        let unit = Unit {
            code: code.clone(),
            name: name.clone(),
            index,
            responses: distinct_responses(&unit_rows),
            rank: None,
            points: points_max
                .zip(index)
                .map(|(maximum, value)| scoring::points(value, maximum)),
            change: index.zip(before).map(|(now, then)| (now - then) * 100.0),
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

fn of_unit<'a>(rows: &[&'a AnswerRow], codes: &[String]) -> Vec<&'a AnswerRow> {
    rows.iter()
        .copied()
        .filter(|r| codes.contains(&r.agency_code))
        .collect()
}
