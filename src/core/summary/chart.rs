//! The summary's chart as a PNG, drawn in-process (tiny-skia) with an embedded font (DejaVu Sans,
//! which has every Vietnamese diacritic), so it renders the same on any machine without fonts.
//! Three panels, sized to be read on a phone (text at least 22 px on a 1080 px wide image):
//! the factors and the overall index as bars with their 95% margin as whiskers and the target
//! as a dashed line; the units ranked as bars (the best and the weakest when there are many);
//! the overall index over the periods that have data.

use super::canvas::{Canvas, color, encode, rgb};
use super::{WeeklySummary, fit};
use crate::core::flow::Lang;
use crate::core::i18n::{self, Locales};
use ab_glyph::FontRef;
use tiny_skia::{Color, Pixmap};

pub const WIDTH: u32 = 1080;

const MARGIN: f32 = 40.0;
const TITLE_HEIGHT: f32 = 110.0;
const PANEL_TITLE: f32 = 56.0;
pub(super) const FACTOR_ROW: f32 = 84.0;
const UNIT_ROW: f32 = 74.0;
const TREND_HEIGHT: f32 = 330.0;
/// Bars end here; the value is written to the right.
const BAR_RIGHT: f32 = 880.0;

const INK: [u8; 3] = [33, 37, 41];
const MUTED: [u8; 3] = [90, 98, 106];
const RED: [u8; 3] = [200, 35, 51];

/// The units shown: all ranked ones up to twice [`fit::UNITS_AT_EACH_END`], otherwise the best
/// and the weakest that many each, with a gap between.
fn charted_units(summary: &WeeklySummary) -> Vec<Option<&super::Unit>> {
    let ranked = &summary.units;
    let edge = fit::UNITS_AT_EACH_END;
    if ranked.len() <= 2 * edge {
        return ranked.iter().map(Some).collect();
    }
    let mut shown: Vec<Option<&super::Unit>> = ranked[..edge].iter().map(Some).collect();
    shown.push(None);
    shown.extend(ranked[ranked.len() - edge..].iter().map(Some));
    shown
}

/// The height of the chart of `summary`: the units panel grows with the units shown.
pub fn height(summary: &WeeklySummary) -> u32 {
    let units = charted_units(summary).len();
    let units_panel = if units == 0 {
        0.0
    } else {
        PANEL_TITLE + units as f32 * UNIT_ROW + 20.0
    };
    let weighted_row = usize::from(summary.weighted.index.is_some());
    let factors = (summary.factors.len() + 1 + weighted_row) as f32 * FACTOR_ROW;
    (TITLE_HEIGHT + PANEL_TITLE + factors + 20.0 + units_panel + PANEL_TITLE + TREND_HEIGHT).ceil()
        as u32
}

/// The chart of a summary with the target at [`super::DEFAULT_TARGET`].
pub fn png(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Vec<u8> {
    png_with_target(locales, lang, summary, super::DEFAULT_TARGET)
}

/// The chart of a summary, as PNG bytes of [`WIDTH`] × [`height`], with `target` (0..=1) drawn.
pub fn png_with_target(
    locales: &Locales,
    lang: Lang,
    summary: &WeeklySummary,
    target: f64,
) -> Vec<u8> {
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    let mut canvas = Canvas {
        pixmap: Pixmap::new(WIDTH, height(summary)).expect("a non-empty canvas"),
        font: FontRef::try_from_slice(dejavu::sans::regular()).expect("the embedded font parses"),
        bold: FontRef::try_from_slice(dejavu::sans::bold()).expect("the embedded font parses"),
    };
    canvas.pixmap.fill(Color::WHITE);
    let full = WIDTH as f32 - 2.0 * MARGIN;
    let title = t("chart-title", &[("week", summary.week.clone())]);
    canvas.bold_text(&title, MARGIN, 50.0, 34.0, INK, Some(full));
    canvas.text(&summary.agency_name, MARGIN, 92.0, 26.0, MUTED, Some(full));
    let target_label = t("chart-target", &[("target", i18n::percent(target, lang))]);

    // Factors and the overall index, each a label over a bar, whiskers for the margin.
    let mut y = TITLE_HEIGHT;
    canvas.bold_text(
        &t("weekly-factors", &[]).replace(':', ""),
        MARGIN,
        y + 34.0,
        28.0,
        INK,
        None,
    );
    let note = t("chart-margin-note", &[]);
    let note_width = canvas.measure(&note, 22.0);
    canvas.text(
        &note,
        WIDTH as f32 - MARGIN - note_width,
        y + 34.0,
        22.0,
        MUTED,
        None,
    );
    y += PANEL_TITLE;
    let scale = |value: f64| MARGIN + (BAR_RIGHT - MARGIN) * value.clamp(0.0, 1.0) as f32;
    let mut rows: Vec<(String, &super::Figure, Color)> = summary
        .factors
        .iter()
        .map(|f| (f.name.clone(), &f.figure, rgb(13, 110, 253)))
        .collect();
    rows.push((t("chart-overall", &[]), &summary.overall, rgb(25, 135, 84)));
    // The weighted overall index, marked apart in a darker green just below the plain one.
    let weighted = super::Figure {
        value: summary.weighted.index,
        change: summary.weighted.change,
        trend: Vec::new(),
        margin: summary.weighted.margin,
        sample: summary.overall.sample,
    };
    if weighted.value.is_some() {
        let label = format!("{} ({})", t("chart-overall", &[]), t("chart-weighted", &[]));
        rows.push((label, &weighted, rgb(15, 81, 50)));
    }
    let panel_top = y;
    for (label, figure, bar_color) in &rows {
        canvas.text(label, MARGIN, y + 28.0, 25.0, INK, Some(BAR_RIGHT - MARGIN));
        let bar_top = y + 40.0;
        let bar_height = 30.0;
        canvas.rect(
            MARGIN,
            bar_top,
            BAR_RIGHT - MARGIN,
            bar_height,
            rgb(233, 236, 239),
        );
        if let Some(value) = figure.value {
            canvas.rect(
                MARGIN,
                bar_top,
                scale(value) - MARGIN,
                bar_height,
                *bar_color,
            );
            if let Some(margin) = figure.margin {
                let middle = bar_top + bar_height / 2.0;
                let (low, high) = (scale(value - margin), scale(value + margin));
                canvas.line(&[(low, middle), (high, middle)], color(INK), 3.0);
                for x in [low, high] {
                    canvas.line(&[(x, middle - 11.0), (x, middle + 11.0)], color(INK), 3.0);
                }
            }
        }
        let shown = figure
            .value
            .map_or_else(|| t("summary-no-data", &[]), |v| i18n::percent(v, lang));
        canvas.bold_text(
            &shown,
            BAR_RIGHT + 12.0,
            bar_top + 25.0,
            24.0,
            INK,
            Some(WIDTH as f32 - BAR_RIGHT - 16.0),
        );
        y += FACTOR_ROW;
    }
    let target_x = scale(target);
    canvas.dashed(
        &[(target_x, panel_top + 34.0), (target_x, y)],
        color(RED),
        3.0,
    );
    let width = canvas.measure(&target_label, 22.0);
    canvas.text(
        &target_label,
        (target_x - width / 2.0).min(WIDTH as f32 - MARGIN - width),
        panel_top + 20.0,
        22.0,
        RED,
        None,
    );
    y += 20.0;

    // Units ranked, the best on top.
    let units = charted_units(summary);
    if !units.is_empty() {
        canvas.bold_text(&t("chart-units", &[]), MARGIN, y + 34.0, 28.0, INK, None);
        y += PANEL_TITLE;
        let top = y;
        for unit in &units {
            match unit {
                Some(unit) => {
                    let (rank, _) = unit.rank.unwrap_or((0, 0));
                    let name = format!("{rank}. {}", unit.name);
                    canvas.text(&name, MARGIN, y + 26.0, 24.0, INK, Some(BAR_RIGHT - MARGIN));
                    canvas.rect(
                        MARGIN,
                        y + 36.0,
                        BAR_RIGHT - MARGIN,
                        26.0,
                        rgb(233, 236, 239),
                    );
                    if let Some(value) = unit.index {
                        let bar = if value < target {
                            rgb(253, 126, 20)
                        } else {
                            rgb(13, 110, 253)
                        };
                        canvas.rect(MARGIN, y + 36.0, scale(value) - MARGIN, 26.0, bar);
                        canvas.bold_text(
                            &i18n::percent(value, lang),
                            BAR_RIGHT + 12.0,
                            y + 58.0,
                            24.0,
                            INK,
                            Some(WIDTH as f32 - BAR_RIGHT - 16.0),
                        );
                    }
                }
                None => {
                    let more = t(
                        "summary-more-units",
                        &[(
                            "count",
                            i18n::integer(
                                (summary.units.len() - 2 * fit::UNITS_AT_EACH_END) as i64,
                                lang,
                            ),
                        )],
                    );
                    canvas.text(
                        &more,
                        MARGIN,
                        y + 44.0,
                        24.0,
                        MUTED,
                        Some(BAR_RIGHT - MARGIN),
                    );
                }
            }
            y += UNIT_ROW;
        }
        // The target marks each bar only, so it does not cross the units' names.
        let target_x = scale(target);
        for (row, unit) in units.iter().enumerate() {
            let bar_top = top + row as f32 * UNIT_ROW + 32.0;
            if unit.is_some() {
                canvas.dashed(
                    &[(target_x, bar_top), (target_x, bar_top + 34.0)],
                    color(RED),
                    3.0,
                );
            }
        }
        y += 20.0;
    }

    // The overall index over the periods that have data.
    canvas.bold_text(&t("chart-trend", &[]), MARGIN, y + 34.0, 28.0, INK, None);
    let trend_title = y + 26.0;
    y += PANEL_TITLE;
    let points: Vec<(&String, f64)> = summary
        .trend_periods
        .iter()
        .zip(&summary.overall.trend)
        .filter_map(|(label, value)| value.map(|v| (label, v)))
        .collect();
    let (left, right) = (MARGIN + 70.0, WIDTH as f32 - MARGIN - 60.0);
    let (chart_top, chart_bottom) = (y + 30.0, y + TREND_HEIGHT - 60.0);
    let y_of =
        |value: f64| chart_bottom - (chart_bottom - chart_top) * value.clamp(0.0, 1.0) as f32;
    for tick in [0.0, 0.5, 1.0] {
        let ty = y_of(tick);
        canvas.line(&[(left, ty), (right, ty)], rgb(222, 226, 230), 1.5);
        let label = i18n::percent(tick, lang).replace(",00", "");
        let width = canvas.measure(&label, 20.0);
        canvas.text(&label, left - 10.0 - width, ty + 7.0, 20.0, MUTED, None);
    }
    canvas.dashed(
        &[(left, y_of(target)), (right, y_of(target))],
        color(RED),
        3.0,
    );
    // Named in the panel's title row, where no point can cover it.
    let width = canvas.measure(&target_label, 22.0);
    canvas.dashed(
        &[
            (right - width - 60.0, trend_title),
            (right - width - 12.0, trend_title),
        ],
        color(RED),
        3.0,
    );
    canvas.text(
        &target_label,
        right - width,
        trend_title + 8.0,
        22.0,
        RED,
        None,
    );
    let slots = points.len().max(1);
    let x_of = |index: usize| {
        if slots == 1 {
            (left + right) / 2.0
        } else {
            left + 50.0 + (right - left - 100.0) * index as f32 / (slots - 1) as f32
        }
    };
    let line: Vec<(f32, f32)> = points
        .iter()
        .enumerate()
        .map(|(index, (_, value))| (x_of(index), y_of(*value)))
        .collect();
    canvas.line(&line, rgb(25, 135, 84), 4.0);
    for (index, (label, value)) in points.iter().enumerate() {
        let (x, point_y) = (x_of(index), y_of(*value));
        canvas.dot(x, point_y, 8.0, rgb(25, 135, 84));
        let shown = i18n::percent(*value, lang);
        let width = canvas.measure(&shown, 22.0);
        // Above the point, unless the target line runs through the label: then below it.
        let baseline = point_y - 16.0;
        let target_y = y_of(target);
        let baseline = if target_y > baseline - 26.0 && target_y < baseline + 6.0 {
            point_y + 34.0
        } else {
            baseline
        };
        canvas.bold_text(&shown, x - width / 2.0, baseline, 22.0, INK, None);
        let width = canvas.measure(label, 22.0);
        canvas.text(
            label,
            x - width / 2.0,
            chart_bottom + 34.0,
            22.0,
            MUTED,
            None,
        );
    }
    if points.is_empty() {
        let none = t("summary-no-data", &[]);
        let width = canvas.measure(&none, 24.0);
        canvas.text(
            &none,
            (left + right - width) / 2.0,
            (chart_top + chart_bottom) / 2.0,
            24.0,
            MUTED,
            None,
        );
    }
    encode(&canvas.pixmap)
}
