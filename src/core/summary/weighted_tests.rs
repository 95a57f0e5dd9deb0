//! The weighted index on a hand-built fixture, every figure worked out by hand below. It is the
//! worked example of README "Phương pháp" and ARCHITECTURE.md.
//!
//! Each respondent rates every criterion of the full flow 5 (satisfied) or 2 (not), so a
//! stratum's plain index is simply its share of satisfied respondents.
//!
//! | unit | channel | dossiers | responses | satisfied | ȳ_h |
//! |---|---|---|---|---|---|
//! | A | direct | 60 | 10 | 5 | 0,5 |
//! | A | online | 40 | 20 | 18 | 0,9 |
//! | A | postal | 20 | 0 | – | – (folded) |
//! | B | direct | 30 | 0 | – | – |
//! | B | online | 10 | 0 | – | – |
//! | C | direct | 50 | 10 | 8 | 0,8 |
//! | C | online | 50 | 30 | 27 | 0,9 |
//!
//! - Folding: A's 20 postal dossiers go to A's direct and online strata as 60 : 40, so
//!   N = 72 and 48. B has dossiers and no response: left out and named.
//! - N = 72 + 48 + 50 + 50 = 220.
//! - Weighted index = (72·0,5 + 48·0,9 + 50·0,8 + 50·0,9) / 220 = 164,2 / 220 = 0,74636.
//! - Plain index = (5 + 18 + 8 + 27) / 70 = 0,82857: walk-in citizens of A answer least and
//!   are least satisfied, so the plain mean overstates by 8,2 points.
//! - Margin = 1,96 · √((72/220)²·0,25/10 + (48/220)²·0,09/20 + (50/220)²·0,16/10
//!   + (50/220)²·0,09/30) = 1,96 · √0,0038733 = 0,12198 (±12,20 points).
//! - Unit A alone: (72·0,5 + 48·0,9) / 120 = 0,66; unit C: (50·0,8 + 50·0,9) / 100 = 0,85.
//! - With ten times the responses in every answered stratum, the index is the same and the
//!   margin √10 smaller: 0,03857 (±3,86 points), now less than the 8,2 points of difference.

use super::super::tests::{close, full_flow};
use super::*;
use crate::core::flow::Flow;
use crate::core::summary::AnswerCount;

/// A tally of `responses` respondents, `satisfied` of them rating every criterion 5, the rest 2.
fn tally(flow: &Flow, responses: u64, satisfied: u64) -> Tally {
    let mut tally = Tally {
        responses,
        answers: Vec::new(),
    };
    for question in flow.questions.iter().filter(|q| q.factor().is_some()) {
        tally.add([
            AnswerCount {
                question_id: question.id.clone(),
                kind: "scale".into(),
                value: "5".into(),
                count: satisfied,
            },
            AnswerCount {
                question_id: question.id.clone(),
                kind: "scale".into(),
                value: "2".into(),
                count: responses - satisfied,
            },
        ]);
    }
    tally
}

/// The fixture of the table above, responses multiplied by `scale`.
pub(in crate::core::summary) fn fixture(flow: &Flow, scale: u64) -> Vec<StratumTotals> {
    [
        ("A", "direct", 60, 10, 5),
        ("A", "online", 40, 20, 18),
        ("A", "postal", 20, 0, 0),
        ("B", "direct", 30, 0, 0),
        ("B", "online", 10, 0, 0),
        ("C", "direct", 50, 10, 8),
        ("C", "online", 50, 30, 27),
    ]
    .into_iter()
    .map(
        |(unit, channel, dossiers, responses, satisfied)| StratumTotals {
            unit: unit.into(),
            channel: channel.into(),
            dossiers,
            tally: tally(flow, responses * scale, satisfied * scale),
            delivered: None,
        },
    )
    .collect()
}

fn names() -> Vec<(String, String)> {
    ["A", "B", "C"]
        .iter()
        .map(|u| (u.to_string(), format!("Đơn vị {u}")))
        .collect()
}

#[test]
fn the_worked_example() {
    let flow = full_flow();
    let result = weighted(&flow, &fixture(&flow, 1), &names(), None);
    let index = result.index.unwrap();
    assert!(close(index, 164.2 / 220.0), "{index}");
    assert!(close(index, 0.74636), "{index}");
    let margin = result.margin.unwrap();
    assert!(close(margin, 0.12198), "{margin}");
    assert_eq!(
        result.units_without_responses,
        vec![UnitRef {
            code: "B".into(),
            name: "Đơn vị B".into(),
            dossiers: 40
        }]
    );
    // The folded weights: A direct 72/220, A online 48/220, A postal 0.
    let weight = |unit: &str, channel: &str| {
        result
            .strata
            .iter()
            .find(|s| s.unit == unit && s.channel == channel)
            .unwrap()
            .weight
    };
    assert!(close(weight("A", "direct"), 72.0 / 220.0));
    assert!(close(weight("A", "online"), 48.0 / 220.0));
    assert_eq!(weight("A", "postal"), 0.0);
    assert_eq!(weight("B", "direct"), 0.0);
    assert!(close(weight("C", "online"), 50.0 / 220.0));
    assert!(close(result.units["A"].index.unwrap(), 0.66));
    assert!(close(result.units["C"].index.unwrap(), 0.85));
    assert_eq!(result.units["B"].index, None);
    // Every factor has the same shares, so the same weighted index.
    for factor in &result.factors {
        assert!(close(factor.index.unwrap(), 0.74636), "{}", factor.factor);
    }
    assert!(!result.too_small_to_conclude, "70 responses");
}

#[test]
fn more_responses_narrow_the_margin_and_keep_the_index() {
    let flow = full_flow();
    let result = weighted(&flow, &fixture(&flow, 10), &names(), Some(0.70));
    assert!(close(result.index.unwrap(), 0.74636));
    assert!(close(result.margin.unwrap(), 0.03857));
    assert!(close(result.change.unwrap(), 4.636_36));
}

#[test]
fn a_unit_whose_answers_are_all_to_earlier_dossiers_shares_its_dossiers_by_responses() {
    let flow = full_flow();
    let strata = vec![
        StratumTotals {
            unit: "A".into(),
            channel: "direct".into(),
            dossiers: 0,
            tally: tally(&flow, 4, 4),
            delivered: None,
        },
        StratumTotals {
            unit: "A".into(),
            channel: "online".into(),
            dossiers: 10,
            tally: Tally::default(),
            delivered: None,
        },
    ];
    let result = weighted(&flow, &strata, &names(), None);
    assert!(close(result.index.unwrap(), 1.0));
    assert!(result.units_without_responses.is_empty());
    assert!(result.too_small_to_conclude);
}

#[test]
fn nothing_to_weigh_gives_no_index() {
    let flow = full_flow();
    let result = weighted(&flow, &[], &names(), None);
    assert_eq!((result.index, result.margin), (None, None));
    assert!(result.strata.is_empty());
}

#[test]
fn response_rates_per_channel_and_unit() {
    let flow = full_flow();
    let rates = response_rates(&fixture(&flow, 1), &names(), &|c| c.to_uppercase());
    let direct = &rates.by_channel[0];
    assert_eq!(
        (direct.key.as_str(), direct.dossiers, direct.responses),
        ("direct", 140, 20)
    );
    assert!(close(direct.rate.unwrap(), 20.0 / 140.0));
    assert_eq!(direct.delivered, None, "no channel reports delivery yet");
    let postal = &rates.by_channel[2];
    assert_eq!((postal.dossiers, postal.rate), (20, Some(0.0)));
    let b = rates.by_unit.iter().find(|r| r.key == "B").unwrap();
    assert_eq!(
        (b.name.as_str(), b.dossiers, b.rate),
        ("Đơn vị B", 40, Some(0.0))
    );
}
