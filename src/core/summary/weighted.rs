//! The index weighted to the dossier population (issue 19), pure.
//!
//! The plain index is the mean of whoever answered, so it leans toward the groups that answer
//! most. Here the frame is every completed dossier of the period, answered or not. Strata are
//! the direct units of the scope × the dossier's submission channel (direct, online, postal):
//!
//! - a stratum with dossiers but no response is *folded*: its dossiers are added to the other
//!   strata of the same unit that have responses, in proportion to their own dossiers;
//! - a unit with dossiers and no response at all is left out of the weighted index and named;
//! - the weighted index is Σ_h (N_h / N) · ȳ_h over the strata used, N_h the stratum's dossiers
//!   after folding, N their sum and ȳ_h the plain SIPAS index of the stratum's responses;
//! - its 95% margin is the stratified one, 1,96 · √(Σ_h (N_h/N)² · s_h² / n_h), with
//!   s_h² = ȳ_h (1 − ȳ_h) as the plain margin has it ([`crate::core::scoring::margin_of_error`]) and n_h the
//!   stratum's responses (for a factor, the fewest answers of its criteria, as the plain one).
//!
//! Responses are those submitted in the period and dossiers those completed in it, the same
//! days as every other figure; a response to a dossier of the previous period counts in its
//! stratum's ȳ_h, never in N_h.

use super::{MIN_RESPONSES_TO_CONCLUDE, Tally, card};
use crate::core::flow::Flow;
use crate::core::scoring::Scorecard;
use serde::Serialize;
use std::collections::BTreeMap;

/// The submission channels of a dossier, in the order summaries list them.
pub const CHANNELS: [&str; 3] = ["direct", "online", "postal"];

/// The counts of one stratum of one period: what storage reads from the running totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StratumTotals {
    /// The direct unit of the scope (or the scope's own code, for its own dossiers).
    pub unit: String,
    /// The submission channel code (`direct`, `online`, `postal`).
    pub channel: String,
    /// Dossiers completed in the period.
    pub dossiers: u64,
    /// The unflagged responses of the period and their scale answers.
    pub tally: Tally,
    /// Invitations the channel reported delivered, where it reports delivery; `None` otherwise.
    /// A hook for delivery receipts: no channel stores them per stratum yet.
    pub delivered: Option<u64>,
}

/// One stratum as a summary shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stratum {
    pub unit: String,
    pub unit_name: String,
    pub channel: String,
    pub dossiers: u64,
    pub responses: u64,
    /// The plain index of the stratum's responses.
    pub index: Option<f64>,
    /// N_h / N after folding; 0 for a stratum left out or folded away.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightedFigure {
    pub index: Option<f64>,
    pub margin: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightedFactor {
    pub factor: String,
    pub index: Option<f64>,
    pub margin: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub dossiers: u64,
}

/// The weighted figures of one period for one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weighted {
    pub index: Option<f64>,
    pub margin: Option<f64>,
    /// Change from the previous period's weighted index, in percentage points.
    pub change: Option<f64>,
    pub strata: Vec<Stratum>,
    pub units_without_responses: Vec<UnitRef>,
    pub factors: Vec<WeightedFactor>,
    /// Each direct unit's own weighted index (its strata are its channels), by unit code.
    pub units: BTreeMap<String, WeightedFigure>,
    /// Fewer responses in the strata used than a conclusion needs.
    pub too_small_to_conclude: bool,
}

/// Responses over dossiers for one unit or one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reach {
    /// A unit code or a channel code.
    pub key: String,
    pub name: String,
    pub dossiers: u64,
    pub responses: u64,
    pub rate: Option<f64>,
    /// The plain index of these responses.
    pub index: Option<f64>,
    /// Delivered invitations and their share of dossiers, where the channel reports delivery.
    pub delivered: Option<u64>,
    pub delivered_rate: Option<f64>,
}

/// The response rates of a period: per channel (in [`CHANNELS`] order) and per unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseRates {
    pub by_channel: Vec<Reach>,
    pub by_unit: Vec<Reach>,
}

/// A stratum's figure: its index and the sample behind it.
type Pick<'a> = &'a dyn Fn(&Scorecard, &Tally) -> (Option<f64>, u64);

/// One stratum ready to weigh: its dossiers, its figure and its sample.
struct Cell {
    dossiers: f64,
    value: Option<f64>,
    sample: u64,
}

/// `(index, margin, weight of each cell)` of cells grouped by unit, after folding.
fn weigh(units: &[Vec<Cell>]) -> (Option<f64>, Option<f64>, Vec<Vec<f64>>) {
    let mut folded: Vec<Vec<f64>> = Vec::with_capacity(units.len());
    for cells in units {
        let answered = |c: &Cell| c.value.is_some() && c.sample > 0;
        let unit_dossiers: f64 = cells.iter().map(|c| c.dossiers).sum();
        let used: f64 = cells
            .iter()
            .filter(|c| answered(c))
            .map(|c| c.dossiers)
            .sum();
        let used_sample: f64 = cells
            .iter()
            .filter(|c| answered(c))
            .map(|c| c.sample as f64)
            .sum();
        let weights = cells
            .iter()
            .map(|c| {
                if !answered(c) || unit_dossiers == 0.0 {
                    0.0
                } else if used > 0.0 {
                    unit_dossiers * c.dossiers / used
                } else {
                    // Every stratum that answered had no dossier of this period (answers to
                    // dossiers of the previous one): share the unit's dossiers by responses.
                    unit_dossiers * c.sample as f64 / used_sample
                }
            })
            .collect();
        folded.push(weights);
    }
    let total: f64 = folded.iter().flatten().sum();
    if total == 0.0 {
        return (
            None,
            None,
            folded.into_iter().map(|w| vec![0.0; w.len()]).collect(),
        );
    }
    let mut index = 0.0;
    let mut variance = 0.0;
    for (cells, weights) in units.iter().zip(&mut folded) {
        for (cell, weight) in cells.iter().zip(weights.iter_mut()) {
            *weight /= total;
            if let (Some(value), true) = (cell.value, *weight > 0.0) {
                index += *weight * value;
                variance += *weight * *weight * value * (1.0 - value) / cell.sample as f64;
            }
        }
    }
    (Some(index), Some(1.96 * variance.sqrt()), folded)
}

/// Groups strata by unit in `units` order (units absent from the list come last, by code).
fn by_unit<'a>(
    strata: &'a [StratumTotals],
    units: &[(String, String)],
) -> Vec<Vec<&'a StratumTotals>> {
    let mut order: Vec<String> = units.iter().map(|(code, _)| code.clone()).collect();
    for stratum in strata {
        if !order.contains(&stratum.unit) {
            order.push(stratum.unit.clone());
        }
    }
    order
        .iter()
        .map(|code| {
            strata
                .iter()
                .filter(|s| &s.unit == code)
                .collect::<Vec<_>>()
        })
        .filter(|group| !group.is_empty())
        .collect()
}

fn figure(
    flow: &Flow,
    groups: &[Vec<&StratumTotals>],
    pick: Pick,
) -> (Option<f64>, Option<f64>, Vec<Vec<f64>>) {
    let cells: Vec<Vec<Cell>> = groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|s| {
                    let (value, sample) = pick(&card(flow, &s.tally), &s.tally);
                    Cell {
                        dossiers: s.dossiers as f64,
                        value,
                        sample,
                    }
                })
                .collect()
        })
        .collect();
    weigh(&cells)
}

/// The weighted figures of `strata`; `units` names the scope's units (code, name) in display
/// order, the scope itself included when it has dossiers of its own.
pub fn weighted(
    flow: &Flow,
    strata: &[StratumTotals],
    units: &[(String, String)],
    previous: Option<f64>,
) -> Weighted {
    let groups = by_unit(strata, units);
    let overall: Pick = &|card, tally| (card.overall, tally.responses);
    let (index, margin, weights) = figure(flow, &groups, overall);
    let name_of = |code: &str| {
        units
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code.to_string(), |(_, name)| name.clone())
    };
    let mut shown = Vec::new();
    let mut without = Vec::new();
    let mut used_sample = 0;
    for (group, weights) in groups.iter().zip(&weights) {
        let dossiers: u64 = group.iter().map(|s| s.dossiers).sum();
        let answered = weights.iter().any(|w| *w > 0.0);
        if dossiers > 0 && !answered {
            without.push(UnitRef {
                code: group[0].unit.clone(),
                name: name_of(&group[0].unit),
                dossiers,
            });
        }
        for (stratum, weight) in group.iter().zip(weights) {
            if *weight > 0.0 {
                used_sample += stratum.tally.responses;
            }
            shown.push(Stratum {
                unit: stratum.unit.clone(),
                unit_name: name_of(&stratum.unit),
                channel: stratum.channel.clone(),
                dossiers: stratum.dossiers,
                responses: stratum.tally.responses,
                index: card(flow, &stratum.tally).overall,
                weight: *weight,
            });
        }
    }
    let factors = flow
        .factors
        .iter()
        .map(|factor| {
            let pick: Pick = &|card, _| {
                card.factors
                    .iter()
                    .find(|f| f.factor == factor.id)
                    .map_or((None, 0), |f| (f.index, f.answered))
            };
            let (index, margin, _) = figure(flow, &groups, pick);
            WeightedFactor {
                factor: factor.id.clone(),
                index,
                margin,
            }
        })
        .collect();
    let unit_figures = groups
        .iter()
        .map(|group| {
            let (index, margin, _) = figure(flow, std::slice::from_ref(group), overall);
            (group[0].unit.clone(), WeightedFigure { index, margin })
        })
        .collect();
    Weighted {
        index,
        margin,
        change: index.zip(previous).map(|(now, then)| (now - then) * 100.0),
        strata: shown,
        units_without_responses: without,
        factors,
        units: unit_figures,
        too_small_to_conclude: used_sample < MIN_RESPONSES_TO_CONCLUDE,
    }
}

/// The weighted overall index alone (for the previous period's change).
pub fn weighted_index(flow: &Flow, strata: &[StratumTotals]) -> Option<f64> {
    let groups = by_unit(strata, &[]);
    figure(flow, &groups, &|card, tally| {
        (card.overall, tally.responses)
    })
    .0
}

/// Responses over dossiers per channel and per unit. `channel_name` gives a channel's label.
pub fn response_rates(
    flow: &Flow,
    strata: &[StratumTotals],
    units: &[(String, String)],
    channel_name: &dyn Fn(&str) -> String,
) -> ResponseRates {
    let reach = |key: &str, name: String, of: &mut dyn Iterator<Item = &StratumTotals>| {
        let (mut dossiers, mut responses, mut delivered) = (0, 0, None::<u64>);
        let mut tally = Tally::default();
        for s in of {
            dossiers += s.dossiers;
            responses += s.tally.responses;
            tally.add(s.tally.answers.iter().cloned());
            if let Some(d) = s.delivered {
                delivered = Some(delivered.unwrap_or(0) + d);
            }
        }
        let share = |n: u64| (dossiers > 0).then(|| n as f64 / dossiers as f64);
        Reach {
            key: key.to_string(),
            name,
            dossiers,
            responses,
            rate: share(responses),
            index: card(flow, &tally).overall,
            delivered,
            delivered_rate: delivered.and_then(share),
        }
    };
    let by_channel = CHANNELS
        .iter()
        .map(|channel| {
            reach(
                channel,
                channel_name(channel),
                &mut strata.iter().filter(|s| s.channel == *channel),
            )
        })
        .filter(|r| r.dossiers > 0 || r.responses > 0)
        .collect();
    let by_unit = by_unit(strata, units)
        .into_iter()
        .map(|group| {
            let code = group[0].unit.clone();
            let name = units
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(code.clone(), |(_, n)| n.clone());
            reach(&code, name, &mut group.into_iter())
        })
        .collect();
    ResponseRates {
        by_channel,
        by_unit,
    }
}

#[cfg(test)]
#[path = "weighted_tests.rs"]
mod tests;
