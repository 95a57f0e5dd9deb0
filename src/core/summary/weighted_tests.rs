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
//! - With ten times the dossiers and responses in every stratum, the index is the same and the
//!   margin √10 smaller: 0,03857 (±3,86 points), now less than the 8,2 points of difference.
//! - Walk-in (direct) dossiers are 140 of 260 (54%) but their responses 20 of 70 (29%): the
//!   channel most under-represented among respondents, and its plain index (13/20 = 65%) is
//!   below the plain 82,86%: that is the reason the summary gives.

use super::super::tests::{close, full_flow};
use super::*;
use crate::core::flow::Flow;
use crate::core::summary::AnswerCount;
use crate::core::summary::WeeklySummary;

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

/// The fixture of the table above, dossiers and responses multiplied by `scale`.
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
    let rates = response_rates(&flow, &fixture(&flow, 1), &names(), &|c| c.to_uppercase());
    let direct = &rates.by_channel[0];
    assert!(close(direct.index.unwrap(), 0.65), "13 of 20 satisfied");
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

/// The summary of the fixture (responses × `scale`) for a scope of units A, B and C.
fn summary_of(scale: u64) -> WeeklySummary {
    use crate::core::summary::{Counts, Options, Period, PeriodTotals, Scope, build_totals};
    let flow = full_flow();
    let strata = fixture(&flow, scale);
    let mut this_period = Tally::default();
    let mut units: std::collections::BTreeMap<String, Tally> = Default::default();
    for stratum in &strata {
        this_period.responses += stratum.tally.responses;
        this_period.add(stratum.tally.answers.clone());
        let unit = units.entry(stratum.unit.clone()).or_default();
        unit.responses += stratum.tally.responses;
        unit.add(stratum.tally.answers.clone());
    }
    let totals = PeriodTotals {
        trend: vec![
            Tally::default(),
            Tally::default(),
            Tally::default(),
            this_period,
        ],
        strata,
        units,
        ..PeriodTotals::default()
    };
    let scope = Scope {
        code: "T".into(),
        name: "UBND tỉnh Mẫu".into(),
        codes: vec!["T".into(), "A".into(), "B".into(), "C".into()],
        units: names()
            .into_iter()
            .map(|(code, name)| (code.clone(), name, vec![code]))
            .collect(),
    };
    let period = Period::Week(super::super::tests::week());
    build_totals(
        &flow,
        crate::core::flow::Lang::Vi,
        &scope,
        period,
        &totals,
        Counts::default(),
        Options::default(),
    )
}

#[test]
fn the_text_shows_the_unweighted_index_only_beyond_the_margin() {
    use crate::core::i18n::Locales;
    use crate::core::summary::render;
    let locales = Locales::load();
    let vi = crate::core::flow::Lang::Vi;

    // 70 responses: 74,64% ± 12,20 against 82,86%, a difference of 8,22 points within the margin.
    let small = summary_of(1);
    assert!(close(small.overall.value.unwrap(), 58.0 / 70.0));
    let text = render::text(&locales, vi, &small);
    assert!(
        text.contains(
            "Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): 74,64%, sai số ±12,20 điểm %"
        ),
        "{text}"
    );
    assert!(!text.contains("chưa hiệu chỉnh"), "{text}");
    assert!(!text.contains("Vì sao khác"), "{text}");
    assert!(
        text.contains("Đơn vị có hồ sơ nhưng chưa ai trả lời (không tính vào chỉ số hiệu chỉnh): Đơn vị B (40)"),
        "{text}"
    );
    assert!(
        text.contains("Tỷ lệ phản hồi theo kênh nộp hồ sơ: Trực tiếp 14,29% (20/140 hồ sơ) · Trực tuyến 50,00% (50/100 hồ sơ) · Bưu chính 0,00% (0/20 hồ sơ)"),
        "{text}"
    );
    assert!(
        text.contains("Tỷ lệ phản hồi thấp nhất theo đơn vị: Đơn vị B 0,00% (0/40 hồ sơ)"),
        "{text}"
    );

    // 700 responses: ± 3,86 now, so the unweighted index is shown beside, with the reason.
    let large = summary_of(10);
    let text = render::text(&locales, vi, &large);
    assert!(
        text.contains("Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): 74,64%, sai số ±3,86 điểm % (chưa hiệu chỉnh: 82,86%)"),
        "{text}"
    );
    assert!(
        text.contains("Vì sao khác: hồ sơ nộp trực tiếp chiếm 53,85% số hồ sơ nhưng chỉ 28,57% số phản hồi, và chỉ số của nhóm này (65,00%) thấp hơn"),
        "{text}"
    );
}

#[test]
fn the_json_xlsx_and_chart_carry_the_weighted_index() {
    use crate::core::i18n::Locales;
    use crate::core::summary::{chart, xlsx};
    let summary = summary_of(1);
    let json = serde_json::to_value(&summary).unwrap();
    let weighted = &json["weighted"];
    assert!(close(weighted["index"].as_f64().unwrap(), 0.74636));
    assert!(close(weighted["margin"].as_f64().unwrap(), 0.12198));
    let first = &weighted["strata"][0];
    assert_eq!(
        (
            &first["unit"],
            &first["channel"],
            &first["dossiers"],
            &first["responses"]
        ),
        (
            &serde_json::json!("A"),
            &serde_json::json!("direct"),
            &serde_json::json!(60),
            &serde_json::json!(10)
        )
    );
    assert!(close(first["index"].as_f64().unwrap(), 0.5));
    assert_eq!(weighted["units_without_responses"][0]["code"], "B");
    assert_eq!(json["response_rates"]["by_channel"][0]["key"], "direct");
    let unit_a = json["units"]
        .as_array()
        .unwrap()
        .iter()
        .chain(json["small_units"].as_array().unwrap())
        .find(|u| u["code"] == "A")
        .unwrap()
        .clone();
    assert!(close(unit_a["weighted_index"].as_f64().unwrap(), 0.66));
    assert!(close(
        unit_a["response_rate"].as_f64().unwrap(),
        30.0 / 120.0
    ));

    let locales = Locales::load();
    let bytes = xlsx::workbook(&locales, crate::core::flow::Lang::Vi, &summary, &[]).unwrap();
    let listing = String::from_utf8_lossy(&bytes);
    assert!(
        listing.contains("xl/worksheets/sheet5.xml"),
        "the strata sheet"
    );

    // The chart has one more bar, the weighted overall index.
    let mut plain = summary.clone();
    plain.weighted.index = None;
    assert_eq!(
        chart::height(&summary),
        chart::height(&plain) + chart::FACTOR_ROW as u32
    );
    let png = chart::png(&locales, crate::core::flow::Lang::Vi, &summary);
    assert!(png.starts_with(b"\x89PNG"));
}
