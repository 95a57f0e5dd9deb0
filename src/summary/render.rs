//! A weekly summary as the message officials read, in their language, numbers the Vietnamese way.

use super::{Figure, WeeklySummary};
use crate::flow::Lang;
use crate::i18n::{self, Locales};

/// Comments are cut to this many characters in the message (the JSON keeps them whole).
const COMMENT_CHARS: usize = 200;

pub fn text(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> String {
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    let percent = |value: Option<f64>| match value {
        Some(v) => i18n::percent(v, lang),
        None => t("summary-no-data", &[]),
    };
    let number = |n: u64| i18n::integer(n as i64, lang);
    let change = |figure: &Figure| match figure.change {
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
    let mut lines = vec![
        t(
            "weekly-title",
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
    ];
    let margin = summary
        .overall
        .margin
        .map(|m| {
            t(
                "weekly-margin",
                &[("margin", i18n::decimal(m * 100.0, 2, lang))],
            )
        })
        .unwrap_or_default();
    lines.push(t(
        "weekly-overall",
        &[
            ("index", percent(summary.overall.value)),
            ("change", change(&summary.overall)),
            ("margin", margin),
        ],
    ));
    if let Some(points) = &summary.points {
        lines.push(t(
            "weekly-points",
            &[
                ("points", i18n::decimal(points.value, 2, lang)),
                ("maximum", i18n::decimal(points.maximum, 0, lang)),
            ],
        ));
    }
    let trend: Vec<String> = summary.overall.trend.iter().map(|v| percent(*v)).collect();
    lines.push(t("weekly-trend", &[("trend", trend.join(" → "))]));
    lines.push(String::new());
    lines.push(t("weekly-factors", &[]));
    for factor in &summary.factors {
        lines.push(t(
            "weekly-factor",
            &[
                ("factor", factor.name.clone()),
                ("index", percent(factor.figure.value)),
                ("change", change(&factor.figure)),
            ],
        ));
    }
    if !summary.weakest.is_empty() {
        lines.push(String::new());
        lines.push(t("weekly-weakest", &[]));
        for criterion in &summary.weakest {
            lines.push(t(
                "weekly-criterion",
                &[
                    ("criterion", criterion.text.clone()),
                    ("rate", i18n::percent(criterion.rate, lang)),
                ],
            ));
        }
    }
    if !summary.units.is_empty() || !summary.small_units.is_empty() {
        lines.push(String::new());
        lines.push(t("weekly-units", &[]));
        for unit in &summary.units {
            let (rank, of) = unit.rank.unwrap_or((0, 0));
            lines.push(t(
                "weekly-unit",
                &[
                    ("agency", unit.name.clone()),
                    ("index", percent(unit.index)),
                    ("rank", rank.to_string()),
                    ("of", of.to_string()),
                    ("responses", number(unit.responses)),
                ],
            ));
        }
        if !summary.small_units.is_empty() {
            let names: Vec<String> = summary
                .small_units
                .iter()
                .map(|u| format!("{} ({})", u.name, number(u.responses)))
                .collect();
            lines.push(t("weekly-small-units", &[("units", names.join(", "))]));
        }
    }
    if !summary.expectations.is_empty() {
        let top: Vec<String> = summary
            .expectations
            .iter()
            .map(|e| format!("{} ({})", e.label, number(e.count)))
            .collect();
        lines.push(String::new());
        lines.push(t(
            "weekly-expectations",
            &[("expectations", top.join("; "))],
        ));
    }
    if !summary.comments.is_empty() {
        lines.push(String::new());
        lines.push(t("weekly-comments", &[]));
        for comment in &summary.comments {
            let mut short: String = comment.chars().take(COMMENT_CHARS).collect();
            if comment.chars().count() > COMMENT_CHARS {
                short.push('…');
            }
            lines.push(t("weekly-comment", &[("comment", short)]));
        }
    }
    if summary.too_small_to_conclude {
        lines.push(String::new());
        lines.push(t(
            "weekly-too-small",
            &[("minimum", number(super::MIN_RESPONSES_TO_CONCLUDE))],
        ));
    }
    lines.join("\n")
}
