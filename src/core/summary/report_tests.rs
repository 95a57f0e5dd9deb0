//! Tests of what officials see beyond one small week: Telegram's limits with 150 units, the
//! per-procedure figures, the yearly report in the published shape, and the trend line.

use super::tests::{close, during, full_flow, row, scope, week};
use super::*;
use crate::core::i18n::Locales;
use chrono::{Duration, TimeZone};

fn with_procedure(row: AnswerRow, code: &str) -> AnswerRow {
    AnswerRow {
        procedure_code: code.into(),
        procedure_name: format!("Thủ tục {code}"),
        ..row
    }
}

/// `satisfied` of `count` new respondents of `unit` in `period` rate `question` 5, the others 2.
fn respondents(
    rows: &mut Vec<AnswerRow>,
    next_id: &mut i64,
    unit: &str,
    at: DateTime<Utc>,
    questions: &[&str],
    count: usize,
    satisfied: usize,
) {
    for index in 0..count {
        *next_id += 1;
        let level = if index < satisfied { "5" } else { "2" };
        for question in questions {
            rows.push(row(*next_id, unit, at, question, "scale", level));
        }
    }
}

#[test]
fn a_scope_of_150_long_named_units_fits_telegram() {
    let w = week();
    let codes: Vec<String> = (0..150).map(|i| format!("U{i:03}")).collect();
    let mut scope = scope(&codes.iter().map(String::as_str).collect::<Vec<_>>());
    for (code, name, _) in &mut scope.units {
        *name = format!(
            "Ủy ban nhân dân xã {code} thuộc huyện miền núi biên giới có tên rất dài để thử giới hạn tin nhắn của Telegram"
        );
    }
    let mut rows = Vec::new();
    let mut id = 0;
    // 120 units with enough responses to rank (10 each, index 0% to 100% apart), 30 too small.
    for (index, code) in codes.iter().enumerate() {
        let count = if index < 120 { 10 } else { 3 };
        respondents(
            &mut rows,
            &mut id,
            code,
            during(w, index as i64),
            &["access_info"],
            count,
            index % 11,
        );
    }
    for (index, code) in codes.iter().enumerate().take(40) {
        rows.push(row(
            1_000 + index as i64,
            code,
            during(w, 0),
            "comment",
            "text",
            &"Chờ quá lâu. ".repeat(40),
        ));
    }
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope,
        w,
        &rows,
        Counts::default(),
        Some(24.0),
    );
    assert_eq!(
        summary.units.len() + summary.small_units.len(),
        150,
        "the JSON keeps every unit"
    );
    let locales = Locales::load();
    let messages = render::messages(&locales, Lang::Vi, &summary);
    for message in &messages {
        assert!(
            fit::length(message) <= fit::TEXT_LIMIT,
            "{} long",
            fit::length(message)
        );
        assert!(!message.trim().is_empty());
    }
    assert!(fit::length(&render::caption(&locales, Lang::Vi, &summary)) <= fit::CAPTION_LIMIT);
    let text = messages.join("\n");
    assert!(text.contains("… và 110 đơn vị khác"), "{text}");
    assert!(text.contains("(hạng 1/120"), "the best: {text}");
    assert!(text.contains("(hạng 120/120"), "the weakest: {text}");
    assert!(
        !text.contains("(hạng 6/120"),
        "the middle is counted, not listed"
    );
    assert!(
        text.contains("và 20 đơn vị khác"),
        "small units beyond ten are counted: {text}"
    );
    assert!(text.contains("BÁO CÁO SIPAS TUẦN 2026-W47"));

    // However long the sections get, every message stays within the limit.
    let mut huge = summary.clone();
    huge.comments = vec!["x".repeat(10_000); 3];
    huge.weakest = (0..60)
        .map(|i| Criterion {
            question: format!("q{i}"),
            text: "Tiêu chí rất dài ".repeat(20),
            rate: 0.5,
            answered: 10,
        })
        .collect();
    let messages = render::messages(&locales, Lang::Vi, &huge);
    assert!(messages.len() >= 2, "split: {}", messages.len());
    for message in &messages {
        assert!(
            fit::length(message) <= fit::TEXT_LIMIT,
            "{} long",
            fit::length(message)
        );
    }
    let bytes = chart::png(&locales, Lang::Vi, &summary);
    if let Some(path) = std::env::var_os("SIPAS_CHART_OUT") {
        std::fs::write(std::path::Path::new(&path).join("chart-150.png"), &bytes).unwrap();
    }
}

#[test]
fn per_procedure_figures_match_a_hand_computed_fixture() {
    let w = week();
    let mut rows = Vec::new();
    let mut id = 0;
    // P1: 40 responses, 30 satisfied → 75%; P2: 35, all satisfied → 100%;
    // P3: 5, none satisfied → 0%, but under the minimum of 30, so not called the lowest.
    for (code, count, satisfied) in [("P1", 40, 30), ("P2", 35, 35), ("P3", 5, 0)] {
        let mut these = Vec::new();
        respondents(
            &mut these,
            &mut id,
            "U1",
            during(w, 0),
            &["access_info"],
            count,
            satisfied,
        );
        rows.extend(these.into_iter().map(|r| with_procedure(r, code)));
    }
    let options = Options {
        points_max: None,
        procedure_min_responses: 30,
    };
    let summary = build_period(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1"]),
        w.into(),
        &rows,
        Counts::default(),
        options,
    );
    let busiest: Vec<(&str, u64)> = summary
        .procedures
        .all
        .iter()
        .map(|p| (p.code.as_str(), p.responses))
        .collect();
    assert_eq!(busiest, [("P1", 40), ("P2", 35), ("P3", 5)]);
    let lowest: Vec<&str> = summary
        .procedures
        .lowest
        .iter()
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(lowest, ["P1", "P2"]);
    let p1 = &summary.procedures.lowest[0];
    assert!(close(p1.index.unwrap(), 0.75));
    // 1,96 × √(0,75 × 0,25 / 40) = 0,13419.
    assert!(close(p1.margin.unwrap(), 0.13419), "{:?}", p1.margin);
    assert_eq!(summary.procedures.lowest[1].margin, Some(0.0));
    assert_eq!(summary.procedures.all[2].index, Some(0.0));

    let text = render::text(&Locales::load(), Lang::Vi, &summary);
    assert!(text.contains("Thủ tục nhiều phản hồi nhất:"), "{text}");
    assert!(
        text.contains("• Thủ tục P1: 75,00%, sai số ±13,42 điểm % (40 phản hồi)"),
        "{text}"
    );
    assert!(
        text.contains("Thủ tục có chỉ số thấp nhất (từ 30 phản hồi trở lên):"),
        "{text}"
    );
    assert!(
        text.contains("• Thủ tục P3: 0,00%, sai số ±0,00 điểm % (5 phản hồi)"),
        "{text}"
    );
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["procedures"]["lowest"][0]["code"], "P1");
    assert_eq!(json["procedures"]["all"][2]["responses"], 5);
    assert_eq!(json["procedures"]["min_responses"], 30);
    let bytes = xlsx::workbook(&Locales::load(), Lang::Vi, &summary, &rows).unwrap();
    let listing = String::from_utf8_lossy(&bytes);
    assert!(
        listing.contains("xl/worksheets/sheet4.xml"),
        "units and procedures sheets"
    );
}

#[test]
fn the_yearly_report_has_the_published_tan_chau_figures() {
    // Eleven districts; Tân Châu 2026: 1.776 of 2.500 satisfied = 71,04%, second to one at 80%.
    // Tân Châu 2025: 6.775 of 10.000 = 67,75%, so +3,29 percentage points year on year.
    let districts: Vec<String> = (1..=11).map(|i| format!("H{i:02}")).collect();
    let mut scope = scope(&districts.iter().map(String::as_str).collect::<Vec<_>>());
    scope.name = "UBND tỉnh Tây Ninh".into();
    scope.units[1].1 = "UBND huyện Tân Châu".into();
    let mut rows = Vec::new();
    let mut id = 0;
    let in_year = |year: i32| {
        crate::core::clock::vietnam()
            .with_ymd_and_hms(year, 6, 15, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    respondents(
        &mut rows,
        &mut id,
        "H02",
        in_year(2026),
        &["access_info"],
        2_500,
        1_776,
    );
    respondents(
        &mut rows,
        &mut id,
        "H02",
        in_year(2025),
        &["access_info"],
        10_000,
        6_775,
    );
    respondents(
        &mut rows,
        &mut id,
        "H01",
        in_year(2026),
        &["access_info"],
        10,
        8,
    );
    for district in &districts[2..] {
        respondents(
            &mut rows,
            &mut id,
            district,
            in_year(2026),
            &["access_info"],
            10,
            6,
        );
    }
    let options = Options {
        points_max: Some(24.0),
        ..Options::default()
    };
    let year = Period::parse("2026").unwrap();
    let summary = build_period(
        &full_flow(),
        Lang::Vi,
        &scope,
        year,
        &rows,
        Counts::default(),
        options,
    );
    let tan_chau = summary.units.iter().find(|u| u.code == "H02").unwrap();
    assert!(close(tan_chau.index.unwrap(), 0.7104));
    assert_eq!(tan_chau.rank, Some((2, 11)));
    assert!(close(tan_chau.points.unwrap(), 17.0496));
    assert!(close(tan_chau.change.unwrap(), 3.29));
    assert_eq!(summary.trend_periods, ["2023", "2024", "2025", "2026"]);
    let text = render::text(&Locales::load(), Lang::Vi, &summary);
    assert!(
        text.contains("BÁO CÁO SIPAS NĂM 2026 (01/01/2026 – 31/12/2026)"),
        "{text}"
    );
    assert!(
        text.contains("• UBND huyện Tân Châu: 71,04% (hạng 2/11, 2.500 phản hồi), 17,05/24 điểm, tăng 3,29 điểm %"),
        "{text}"
    );
}

#[test]
fn the_trend_shows_only_periods_with_data() {
    let w = week();
    let locales = Locales::load();
    let flow = full_flow();
    let first = vec![row(1, "U1", during(w, 0), "access_info", "scale", "5")];
    let summary = build(
        &flow,
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &first,
        Counts::default(),
        None,
    );
    let text = render::text(&locales, Lang::Vi, &summary);
    assert!(
        text.contains("Xu hướng: tuần đầu tiên có dữ liệu"),
        "{text}"
    );
    assert!(!text.contains("chưa có dữ liệu →"), "{text}");

    let mut gaps = first.clone();
    gaps.push(row(
        2,
        "U1",
        during(w.previous().previous(), 0),
        "access_info",
        "scale",
        "2",
    ));
    gaps.push(row(
        3,
        "U1",
        during(w.previous().previous(), 1),
        "access_info",
        "scale",
        "4",
    ));
    let summary = build(
        &flow,
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &gaps,
        Counts::default(),
        None,
    );
    let text = render::text(&locales, Lang::Vi, &summary);
    assert!(
        text.contains("Xu hướng: 2026-W45: 50,00% → 2026-W47: 100,00%"),
        "{text}"
    );
    assert!(!text.contains("chưa có dữ liệu →"), "{text}");
    if let Some(path) = std::env::var_os("SIPAS_CHART_OUT") {
        let bytes = chart::png(&locales, Lang::Vi, &summary);
        std::fs::write(std::path::Path::new(&path).join("chart-trend.png"), bytes).unwrap();
    }

    let year = Period::parse("2026").unwrap();
    let at = year.start() + Duration::days(40);
    let yearly = vec![row(1, "U1", at, "access_info", "scale", "5")];
    let summary = build_period(
        &flow,
        Lang::Vi,
        &scope(&["U1"]),
        year,
        &yearly,
        Counts::default(),
        Options::default(),
    );
    let text = render::text(&locales, Lang::Vi, &summary);
    assert!(text.contains("Xu hướng: năm đầu tiên có dữ liệu"), "{text}");
    assert_eq!(
        render::trend(
            &locales,
            Lang::Vi,
            &build(
                &flow,
                Lang::Vi,
                &scope(&["U1"]),
                w,
                &[],
                Counts::default(),
                None
            )
        ),
        "Xu hướng: chưa có dữ liệu"
    );
}
