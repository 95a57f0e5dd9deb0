use super::*;
use crate::core::flow::builtin;
use crate::core::i18n::Locales;
use chrono::{Duration, TimeZone};

pub(super) fn full_flow() -> Flow {
    builtin()
        .into_iter()
        .find(|f| f.id == "sipas-full")
        .unwrap()
}

pub(super) fn week() -> Week {
    Week::parse("2026-W47").unwrap()
}

/// Tuesday of `week` at 10:00 Vietnam time, plus `minutes`.
pub(super) fn during(week: Week, minutes: i64) -> DateTime<Utc> {
    week.start() + Duration::hours(34) + Duration::minutes(minutes)
}

pub(super) fn row(
    response: i64,
    agency: &str,
    at: DateTime<Utc>,
    question: &str,
    kind: &str,
    value: &str,
) -> AnswerRow {
    AnswerRow {
        response_id: response,
        agency_code: agency.into(),
        procedure_code: "P".into(),
        procedure_name: "Thủ tục mẫu".into(),
        submitted_at: at,
        question_id: question.into(),
        kind: kind.into(),
        value: value.into(),
        level: value.parse().ok().filter(|_| kind == "scale"),
        submission_channel: "online".into(),
    }
}

pub(super) fn scope(units: &[&str]) -> Scope {
    let mut codes = vec!["T".to_string()];
    codes.extend(units.iter().map(|u| u.to_string()));
    Scope {
        code: "T".into(),
        name: "UBND tỉnh Mẫu".into(),
        codes,
        units: units
            .iter()
            .map(|u| (u.to_string(), format!("Đơn vị {u}"), vec![u.to_string()]))
            .collect(),
    }
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn a_hand_computed_week() {
    let w = week();
    let rows = vec![
        row(1, "U1", during(w, 0), "access_info", "scale", "5"),
        row(1, "U1", during(w, 0), "access_signs", "scale", "4"),
        row(1, "U1", during(w, 0), "procedures_posted", "scale", "2"),
        row(
            1,
            "U1",
            during(w, 0),
            "expectations",
            "multiple_choice",
            "digital;postal",
        ),
        row(
            1,
            "U1",
            during(w, 0),
            "comment",
            "text",
            "Gọi 0912345678 nhé",
        ),
        row(2, "U1", during(w, 5), "access_info", "scale", "3"),
        row(2, "U1", during(w, 5), "access_signs", "scale", ""),
        row(2, "U1", during(w, 5), "procedures_posted", "scale", "4"),
        row(
            2,
            "U1",
            during(w, 5),
            "expectations",
            "multiple_choice",
            "digital",
        ),
        row(3, "U2", during(w, 9), "access_info", "scale", "1"),
        row(
            4,
            "U1",
            during(w.previous(), 0),
            "access_info",
            "scale",
            "5",
        ),
    ];
    let counts = Counts {
        invitations: 6,
        responses: 3,
        declines: 1,
        undeliverable: 1,
        withdrawn: 0,
    };
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1", "U2"]),
        w,
        &rows,
        counts,
        Some(24.0),
    );
    let overall = summary.overall.value.unwrap();
    assert!(close(overall, (2.0 / 3.0 + 0.5) / 2.0), "{overall}");
    assert!(close(
        summary.overall.change.unwrap(),
        (overall - 1.0) * 100.0
    ));
    assert_eq!(summary.overall.trend.len(), 4);
    assert_eq!(&summary.overall.trend[..2], &[None, None]);
    assert_eq!(summary.overall.trend[2], Some(1.0));
    assert_eq!(summary.overall.sample, 3);
    assert!(close(
        summary.overall.margin.unwrap(),
        1.96 * (overall * (1.0 - overall) / 3.0).sqrt()
    ));
    assert!(close(
        summary.points.as_ref().unwrap().value,
        overall * 24.0
    ));
    assert_eq!(summary.response_rate, Some(0.5));
    let access = &summary.factors[0];
    assert_eq!(access.factor, "access");
    assert!(close(access.figure.value.unwrap(), 2.0 / 3.0));
    assert_eq!(
        summary.factors[2].figure.value, None,
        "no answers for the civil servants"
    );
    let weakest: Vec<&str> = summary
        .weakest
        .iter()
        .map(|c| c.question.as_str())
        .collect();
    assert_eq!(
        weakest,
        ["access_info", "procedures_posted", "access_signs"]
    );
    assert!(summary.units.is_empty(), "too few responses to rank anyone");
    assert_eq!(summary.small_units.len(), 2);
    let expectations: Vec<(&str, u64)> = summary
        .expectations
        .iter()
        .map(|e| (e.option.as_str(), e.count))
        .collect();
    assert_eq!(expectations, [("digital", 2), ("postal", 1)]);
    assert_eq!(summary.comments, ["Gọi *** nhé"]);
    assert!(summary.too_small_to_conclude);
    assert_eq!(
        (summary.from.as_str(), summary.to.as_str()),
        ("16/11/2026", "22/11/2026")
    );
}

#[test]
fn the_published_son_la_factors_give_the_published_index_and_points() {
    // 1.000 respondents; in each factor the first k rate every criterion 5, the others 2.
    let flow = full_flow();
    let w = week();
    let satisfied = [
        ("access", 917),
        ("procedures", 906),
        ("civil_servants", 900),
        ("results", 893),
        ("feedback", 889),
    ];
    let mut rows = Vec::new();
    for respondent in 0..1000 {
        for question in &flow.questions {
            let Some(factor) = question.factor() else {
                continue;
            };
            let k = satisfied.iter().find(|(f, _)| *f == factor).unwrap().1;
            let level = if respondent < k { "5" } else { "2" };
            rows.push(row(
                respondent,
                "U1",
                during(w, respondent),
                &question.id,
                "scale",
                level,
            ));
        }
    }
    let summary = build(
        &flow,
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &rows,
        Counts::default(),
        Some(24.0),
    );
    let factors: Vec<f64> = summary
        .factors
        .iter()
        .map(|f| f.figure.value.unwrap())
        .collect();
    assert!(close(factors[0], 0.917) && close(factors[4], 0.889));
    assert!(close(summary.overall.value.unwrap(), 0.901));
    assert!(close(summary.points.as_ref().unwrap().value, 0.901 * 24.0));
    assert!(!summary.too_small_to_conclude);
    let text = render::text(&Locales::load(), Lang::Vi, &summary);
    assert!(text.contains("Chỉ số SIPAS chung: 90,10%"), "{text}");
    assert!(text.contains("Quy đổi: 21,62/24 điểm"), "{text}");
    assert!(text.contains("• Tiếp cận dịch vụ: 91,70%"), "{text}");
    assert!(text.contains("hạng 1/1"), "{text}");
}

#[test]
fn units_are_ranked_among_peers_and_small_ones_kept_apart() {
    let w = week();
    let mut rows = Vec::new();
    let mut id = 0;
    for (unit, count, level) in [
        ("U1", 12, "5"),
        ("U2", 10, "1"),
        ("U3", 3, "5"),
        ("U4", 15, "4"),
    ] {
        for _ in 0..count {
            id += 1;
            rows.push(row(id, unit, during(w, id), "access_info", "scale", level));
        }
    }
    // U4: 15 answers of 4, and 5 of them also rate a weak criterion.
    for response in 26..31 {
        rows.push(row(
            response,
            "U4",
            during(w, response),
            "access_signs",
            "scale",
            "2",
        ));
    }
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1", "U2", "U3", "U4"]),
        w,
        &rows,
        Counts::default(),
        None,
    );
    let ranked: Vec<(&str, (usize, usize))> = summary
        .units
        .iter()
        .map(|u| (u.code.as_str(), u.rank.unwrap()))
        .collect();
    assert_eq!(ranked, [("U1", (1, 3)), ("U4", (2, 3)), ("U2", (3, 3))]);
    assert_eq!(
        summary
            .small_units
            .iter()
            .map(|u| u.code.as_str())
            .collect::<Vec<_>>(),
        ["U3"]
    );
    let text = render::text(&Locales::load(), Lang::Vi, &summary);
    assert!(
        text.contains("• Đơn vị U4: 50,00% (hạng 2/3, 15 phản hồi)"),
        "{text}"
    );
    assert!(
        text.contains("Chưa đủ phản hồi để xếp hạng: Đơn vị U3 (3)"),
        "{text}"
    );
    assert!(summary.points.is_none());
}

#[test]
fn answers_outside_the_week_in_vietnam_time_do_not_count() {
    let w = week();
    let monday_early = Utc.with_ymd_and_hms(2026, 11, 15, 17, 30, 0).unwrap(); // 00:30 Monday in Vietnam
    let sunday_late = Utc.with_ymd_and_hms(2026, 11, 15, 16, 30, 0).unwrap(); // 23:30 Sunday, week before
    let rows = vec![
        row(1, "U1", monday_early, "access_info", "scale", "5"),
        row(2, "U1", sunday_late, "access_info", "scale", "1"),
    ];
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &rows,
        Counts::default(),
        None,
    );
    assert_eq!(summary.overall.value, Some(1.0));
    assert_eq!(summary.overall.trend[2], Some(0.0));
}

#[test]
fn the_workbook_is_an_xlsx_with_both_sheets() {
    let w = week();
    let rows = vec![
        row(1, "U1", during(w, 0), "access_info", "scale", "5"),
        row(1, "U1", during(w, 0), "comment", "text", "email a@b.vn"),
    ];
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &rows,
        Counts::default(),
        None,
    );
    let bytes = xlsx::workbook(&Locales::load(), Lang::Vi, &summary, &rows).unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip container");
    let names = String::from_utf8_lossy(&bytes);
    assert!(names.contains("xl/worksheets/sheet2.xml"));
}

#[test]
fn the_chart_is_a_png_of_the_expected_size() {
    let w = week();
    let rows = vec![row(1, "U1", during(w, 0), "access_info", "scale", "5")];
    let summary = build(
        &full_flow(),
        Lang::Vi,
        &scope(&["U1"]),
        w,
        &rows,
        Counts::default(),
        None,
    );
    let bytes = chart::png(&Locales::load(), Lang::Vi, &summary);
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    assert_eq!(
        (reader.info().width, reader.info().height),
        (chart::WIDTH, chart::height(&summary))
    );
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    let dark = pixels
        .chunks(4)
        .filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100)
        .count();
    assert!(dark > 500, "text is drawn: {dark} dark pixels");
}
