//! A summary as the messages officials read, in their language, numbers the Vietnamese way, each
//! message within Telegram's limits ([`super::fit`]): long unit lists show the best and the
//! weakest units and count the others; the full table is in the JSON and the XLSX.

use super::{PeriodKind, ProcedureFigure, Unit, WeeklySummary, fit};
use crate::core::flow::Lang;
use crate::core::i18n::{self, Locales};

/// Comments are cut to this many characters in the message (the JSON keeps them whole).
const COMMENT_CHARS: usize = 200;

/// The whole summary as one text (what the command line prints): the messages, in order.
pub fn text(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> String {
    messages(locales, lang, summary).join("\n\n")
}

/// The summary as Telegram messages, each at most [`fit::TEXT_LIMIT`] long.
pub fn messages(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Vec<String> {
    fit::pack(&sections(locales, lang, summary), fit::TEXT_LIMIT)
}

/// The caption of the chart, at most [`fit::CAPTION_LIMIT`] long.
pub fn caption(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> String {
    let text = locales.text(lang, "chart-title", &[("week", summary.week.clone())]);
    fit::cut(&text, fit::CAPTION_LIMIT)
}

/// The trend line: the periods with data only, or that this is the first with data.
pub fn trend(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> String {
    let with_data: Vec<String> = summary
        .trend_periods
        .iter()
        .zip(&summary.overall.trend)
        .filter_map(|(label, value)| value.map(|v| format!("{label}: {}", i18n::percent(v, lang))))
        .collect();
    if with_data.is_empty() {
        let none = locales.text(lang, "summary-no-data", &[]);
        return locales.text(lang, "summary-trend", &[("trend", none)]);
    }
    let earlier = with_data.len() - usize::from(summary.overall.value.is_some());
    if summary.overall.value.is_some() && earlier == 0 {
        let id = format!("summary-trend-first-{}", summary.period_kind.id());
        return locales.text(lang, &id, &[]);
    }
    // The trend is of the plain index; beside a weighted headline it says so.
    let id = if summary.weighted.index.is_some() {
        "summary-trend-plain"
    } else {
        "summary-trend"
    };
    locales.text(lang, id, &[("trend", with_data.join(" → "))])
}

/// A submission channel's name (`direct` → "Trực tiếp").
pub fn channel_name(locales: &Locales, lang: Lang, channel: &str) -> String {
    let id = match channel {
        "direct" => "channel-direct",
        "online" => "channel-online",
        "postal" => "channel-postal",
        other => return other.to_string(),
    };
    locales.text(lang, id, &[])
}

/// Whether the plain index is shown beside the weighted one: only when they differ by more than
/// the weighted index's margin.
pub fn shows_unweighted(summary: &WeeklySummary) -> bool {
    match (
        summary.weighted.index,
        summary.weighted.margin,
        summary.overall.value,
    ) {
        (Some(weighted), Some(margin), Some(plain)) => (weighted - plain).abs() > margin,
        _ => false,
    }
}

/// The index line: the weighted index when there are dossiers to weight by (with the plain one
/// beside it when they differ by more than the margin), the plain index otherwise.
fn headline(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> String {
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    let change = |points: Option<f64>| match points {
        Some(points) if points > 0.005 => {
            t("weekly-up", &[("points", i18n::decimal(points, 2, lang))])
        }
        Some(points) if points < -0.005 => t(
            "weekly-down",
            &[("points", i18n::decimal(-points, 2, lang))],
        ),
        Some(_) => t("weekly-same", &[]),
        None => String::new(),
    };
    let margin = |m: Option<f64>| {
        m.map(|m| {
            t(
                "weekly-margin",
                &[("margin", i18n::decimal(m * 100.0, 2, lang))],
            )
        })
        .unwrap_or_default()
    };
    let Some(index) = summary.weighted.index else {
        let index = match summary.overall.value {
            Some(v) => i18n::percent(v, lang),
            None => t("summary-no-data", &[]),
        };
        return t(
            "weekly-overall",
            &[
                ("index", index),
                ("change", change(summary.overall.change)),
                ("margin", margin(summary.overall.margin)),
            ],
        );
    };
    let unweighted = match summary.overall.value {
        Some(plain) if shows_unweighted(summary) => t(
            "weekly-unweighted",
            &[("index", i18n::percent(plain, lang))],
        ),
        _ => String::new(),
    };
    t(
        "weekly-weighted",
        &[
            ("index", i18n::percent(index, lang)),
            ("change", change(summary.weighted.change)),
            ("margin", margin(summary.weighted.margin)),
            ("unweighted", unweighted),
        ],
    )
}

/// Why the two indices differ, when the plain one is shown: the channel most under-represented
/// among respondents (its share of dossiers minus its share of responses), and whether its
/// respondents rate below or above the plain index.
fn weighted_why(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Option<String> {
    if !shows_unweighted(summary) {
        return None;
    }
    let channels = &summary.response_rates.by_channel;
    let dossiers: u64 = channels.iter().map(|r| r.dossiers).sum();
    let responses: u64 = channels.iter().map(|r| r.responses).sum();
    if dossiers == 0 || responses == 0 {
        return None;
    }
    let gap = |r: &super::Reach| {
        r.dossiers as f64 / dossiers as f64 - r.responses as f64 / responses as f64
    };
    let under = channels
        .iter()
        .filter(|r| r.index.is_some())
        .max_by(|a, b| gap(a).total_cmp(&gap(b)))?;
    let (index, plain) = (under.index?, summary.overall.value?);
    let id = if index < plain {
        "weekly-weighted-why-lower"
    } else {
        "weekly-weighted-why-higher"
    };
    Some(locales.text(
        lang,
        id,
        &[
            (
                "channel",
                channel_name(locales, lang, &under.key).to_lowercase(),
            ),
            (
                "dossiers",
                i18n::percent(under.dossiers as f64 / dossiers as f64, lang),
            ),
            (
                "responses",
                i18n::percent(under.responses as f64 / responses as f64, lang),
            ),
            ("index", i18n::percent(index, lang)),
        ],
    ))
}

/// The response rate per channel, and the units reached least.
fn reach_lines(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Vec<String> {
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    let number = |n: u64| i18n::integer(n as i64, lang);
    let item = |name: String, reach: &super::Reach| {
        let rate = reach
            .rate
            .map_or_else(|| t("summary-no-data", &[]), |r| i18n::percent(r, lang));
        let delivered = reach
            .delivered_rate
            .map(|r| {
                t(
                    "weekly-reach-delivered",
                    &[("rate", i18n::percent(r, lang))],
                )
            })
            .unwrap_or_default();
        t(
            "weekly-reach-item",
            &[
                ("name", name),
                ("rate", rate),
                ("responses", number(reach.responses)),
                ("dossiers", number(reach.dossiers)),
                ("delivered", delivered),
            ],
        )
    };
    let rates = &summary.response_rates;
    let mut lines = Vec::new();
    if !rates.by_channel.is_empty() {
        let channels: Vec<String> = rates
            .by_channel
            .iter()
            .map(|r| item(channel_name(locales, lang, &r.key), r))
            .collect();
        lines.push(t(
            "weekly-reach-channels",
            &[("channels", channels.join(" · "))],
        ));
    }
    let mut units: Vec<&super::Reach> = rates
        .by_unit
        .iter()
        .filter(|r| r.dossiers > 0 && r.key != summary.agency_code)
        .collect();
    if units.len() > 1 {
        units.sort_by(|a, b| {
            a.rate
                .unwrap_or(0.0)
                .total_cmp(&b.rate.unwrap_or(0.0))
                .then(a.key.cmp(&b.key))
        });
        let lowest: Vec<String> = units
            .iter()
            .take(super::SHOWN)
            .map(|r| item(fit::name(&r.name), r))
            .collect();
        lines.push(t("weekly-reach-units", &[("units", lowest.join(" · "))]));
    }
    lines
}

fn sections(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Vec<String> {
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    let percent = |value: Option<f64>| match value {
        Some(v) => i18n::percent(v, lang),
        None => t("summary-no-data", &[]),
    };
    let number = |n: u64| i18n::integer(n as i64, lang);
    let change = |points: Option<f64>| match points {
        Some(points) if points > 0.005 => {
            t("weekly-up", &[("points", i18n::decimal(points, 2, lang))])
        }
        Some(points) if points < -0.005 => t(
            "weekly-down",
            &[("points", i18n::decimal(-points, 2, lang))],
        ),
        Some(_) => t("weekly-same", &[]),
        None => String::new(),
    };
    let margin = |m: Option<f64>| {
        m.map(|m| {
            t(
                "weekly-margin",
                &[("margin", i18n::decimal(m * 100.0, 2, lang))],
            )
        })
        .unwrap_or_default()
    };
    let title_id = match summary.period_kind {
        PeriodKind::Week => "weekly-title".to_string(),
        kind => format!("summary-title-{}", kind.id()),
    };
    let mut head = vec![
        t(
            &title_id,
            &[
                ("week", summary.week.clone()),
                ("from", summary.from.clone()),
                ("to", summary.to.clone()),
            ],
        ),
        t("weekly-scope", &[("agency", summary.agency_name.clone())]),
        t(
            "weekly-counts",
            &[
                ("invitations", number(summary.counts.invitations)),
                ("responses", number(summary.counts.responses)),
                ("rate", percent(summary.response_rate)),
                ("declines", number(summary.counts.declines)),
                ("undeliverable", number(summary.counts.undeliverable)),
            ],
        ),
        headline(locales, lang, summary),
    ];
    if let Some(points) = &summary.points {
        head.push(t(
            "weekly-points",
            &[
                ("points", i18n::decimal(points.value, 2, lang)),
                ("maximum", i18n::decimal(points.maximum, 0, lang)),
            ],
        ));
    }
    head.push(trend(locales, lang, summary));
    if summary.flagged > 0 {
        // Shown apart so nobody reads the index as covering them.
        head.push(t("weekly-flagged", &[("count", number(summary.flagged))]));
    }
    if summary.counts.withdrawn > 0 {
        head.push(t(
            "weekly-withdrawn",
            &[("count", number(summary.counts.withdrawn))],
        ));
    }
    if let Some(line) = weighted_why(locales, lang, summary) {
        head.push(line);
    }
    if !summary.weighted.units_without_responses.is_empty() {
        let names: Vec<String> = summary
            .weighted
            .units_without_responses
            .iter()
            .take(fit::SMALL_UNITS_NAMED)
            .map(|u| format!("{} ({})", fit::name(&u.name), number(u.dossiers)))
            .collect();
        head.push(t(
            "weekly-no-response-units",
            &[("units", names.join(", "))],
        ));
    }
    let mut sections = vec![head];
    let reach = reach_lines(locales, lang, summary);
    if !reach.is_empty() {
        sections.push(reach);
    }

    let mut factors = vec![t("weekly-factors", &[])];
    for factor in &summary.factors {
        factors.push(t(
            "weekly-factor",
            &[
                ("factor", factor.name.clone()),
                ("index", percent(factor.figure.value)),
                ("change", change(factor.figure.change)),
            ],
        ));
    }
    sections.push(factors);
    if !summary.weakest.is_empty() {
        let mut weakest = vec![t("weekly-weakest", &[])];
        for criterion in &summary.weakest {
            weakest.push(t(
                "weekly-criterion",
                &[
                    ("criterion", criterion.text.clone()),
                    ("rate", i18n::percent(criterion.rate, lang)),
                ],
            ));
        }
        sections.push(weakest);
    }
    if !summary.units.is_empty() || !summary.small_units.is_empty() {
        let maximum = summary.points.as_ref().map(|p| p.maximum);
        let unit_line = |unit: &Unit| {
            let (rank, of) = unit.rank.unwrap_or((0, 0));
            let points = unit
                .points
                .zip(maximum)
                .map(|(points, maximum)| {
                    t(
                        "summary-unit-points",
                        &[
                            ("points", i18n::decimal(points, 2, lang)),
                            ("maximum", i18n::decimal(maximum, 0, lang)),
                        ],
                    )
                })
                .unwrap_or_default();
            t(
                "weekly-unit",
                &[
                    ("agency", fit::name(&unit.name)),
                    ("index", percent(unit.index)),
                    ("rank", rank.to_string()),
                    ("of", of.to_string()),
                    ("responses", number(unit.responses)),
                    ("extra", format!("{points}{}", change(unit.change))),
                ],
            )
        };
        let mut units = vec![t("weekly-units", &[])];
        let ranked = &summary.units;
        if ranked.len() <= fit::UNITS_IN_FULL {
            units.extend(ranked.iter().map(unit_line));
        } else {
            let edge = fit::UNITS_AT_EACH_END;
            units.extend(ranked[..edge].iter().map(unit_line));
            units.push(t(
                "summary-more-units",
                &[("count", number((ranked.len() - 2 * edge) as u64))],
            ));
            units.extend(ranked[ranked.len() - edge..].iter().map(unit_line));
        }
        if !summary.small_units.is_empty() {
            let mut names: Vec<String> = summary
                .small_units
                .iter()
                .take(fit::SMALL_UNITS_NAMED)
                .map(|u| format!("{} ({})", fit::name(&u.name), number(u.responses)))
                .collect();
            let others = summary
                .small_units
                .len()
                .saturating_sub(fit::SMALL_UNITS_NAMED);
            if others > 0 {
                names.push(t(
                    "summary-other-units",
                    &[("count", number(others as u64))],
                ));
            }
            units.push(t("weekly-small-units", &[("units", names.join(", "))]));
        }
        sections.push(units);
    }
    let procedure_line = |procedure: &ProcedureFigure| {
        t(
            "summary-procedure",
            &[
                ("procedure", fit::name(&procedure.name)),
                ("index", percent(procedure.index)),
                ("margin", margin(procedure.margin)),
                ("responses", number(procedure.responses)),
            ],
        )
    };
    let busiest = summary.procedures.busiest(super::SHOWN);
    if !busiest.is_empty() {
        let mut lines = vec![t("summary-procedures-busiest", &[])];
        lines.extend(busiest.iter().map(procedure_line));
        sections.push(lines);
    }
    if !summary.procedures.lowest.is_empty() {
        let mut lines = vec![t(
            "summary-procedures-lowest",
            &[("minimum", number(summary.procedures.min_responses))],
        )];
        lines.extend(summary.procedures.lowest.iter().map(procedure_line));
        sections.push(lines);
    }
    if !summary.themes.is_empty() {
        let top: Vec<String> = summary
            .themes
            .iter()
            .take(super::SHOWN)
            .map(|theme| {
                t(
                    "weekly-theme",
                    &[
                        ("theme", theme.name.clone()),
                        ("count", number(theme.count)),
                        ("share", percent(theme.share)),
                        ("change", change(theme.change)),
                    ],
                )
            })
            .collect();
        sections.push(vec![t("weekly-themes", &[("themes", top.join(" · "))])]);
    }
    if !summary.expectations.is_empty() {
        let top: Vec<String> = summary
            .expectations
            .iter()
            .map(|e| format!("{} ({})", e.label, number(e.count)))
            .collect();
        sections.push(vec![t(
            "weekly-expectations",
            &[("expectations", top.join("; "))],
        )]);
    }
    if !summary.comments.is_empty() {
        let mut comments = vec![t("weekly-comments", &[])];
        for comment in &summary.comments {
            let mut short: String = comment.chars().take(COMMENT_CHARS).collect();
            if comment.chars().count() > COMMENT_CHARS {
                short.push('…');
            }
            comments.push(t("weekly-comment", &[("comment", short)]));
        }
        sections.push(comments);
    }
    if summary.too_small_to_conclude {
        sections.push(vec![t(
            "weekly-too-small",
            &[("minimum", number(super::MIN_RESPONSES_TO_CONCLUDE))],
        )]);
    }
    sections.into_iter().map(|lines| lines.join("\n")).collect()
}
