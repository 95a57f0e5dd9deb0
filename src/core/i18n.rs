//! Locales: the Fluent files under locales/ (embedded at build time) and number and date formats.
//!
//! Every sentence a citizen or official reads comes from here or from a flow file. Numbers are
//! formatted in Rust, the Vietnamese way for `vi` (84,39%; 1.000; 22/11/2026), and handed to
//! Fluent as ready strings, so no locale depends on Fluent's own number formatting. Bidi
//! isolation marks are turned off: chat apps show them as boxes.

use crate::core::flow::Lang;
use chrono::NaiveDate;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The Fluent sources, by language. A new file is added here and in every language.
const SOURCES: &[(Lang, &str, &str)] = &[
    (
        Lang::Vi,
        "vi/main.ftl",
        include_str!("../../locales/vi/main.ftl"),
    ),
    (
        Lang::En,
        "en/main.ftl",
        include_str!("../../locales/en/main.ftl"),
    ),
];

/// All languages' message bundles. Cheap to share behind an `Arc`.
pub struct Locales {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Locales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Locales")
    }
}

impl Locales {
    /// Loads the embedded locale files. They are checked by tests, so a failure here is a bug.
    pub fn load() -> Locales {
        let bundle = |lang: Lang| {
            let langid = lang.code().parse().expect("a valid language id");
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(false);
            for (source_lang, name, source) in SOURCES {
                if *source_lang == lang {
                    let resource = FluentResource::try_new(source.to_string())
                        .unwrap_or_else(|(_, errors)| panic!("locales/{name}: {errors:?}"));
                    bundle
                        .add_resource(resource)
                        .unwrap_or_else(|errors| panic!("locales/{name}: {errors:?}"));
                }
            }
            bundle
        };
        Locales {
            vi: bundle(Lang::Vi),
            en: bundle(Lang::En),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang` with its arguments. A missing id (a bug the locale tests catch)
    /// falls back to Vietnamese, then to the id itself, so a reply is never lost.
    pub fn text(&self, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for bundle in [self.bundle(lang), self.bundle(Lang::Vi)] {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(
                        message = id,
                        ?errors,
                        "locale message formatted with errors"
                    );
                }
                return text.into_owned();
            }
        }
        tracing::warn!(message = id, "missing locale message");
        id.to_string()
    }

    /// The message ids defined in `lang`.
    pub fn ids(&self, lang: Lang) -> Vec<String> {
        SOURCES
            .iter()
            .filter(|(source_lang, _, _)| *source_lang == lang)
            .flat_map(|(_, _, source)| message_ids(source))
            .collect()
    }
}

/// The ids of the messages defined in a Fluent source (lines `id = …` at column 0).
pub fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_string()))
        .collect()
}

fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::Vi => (',', '.'),
        Lang::En => ('.', ','),
    }
}

/// An integer with thousands grouped: 1.000 (vi), 1,000 (en).
pub fn integer(value: i64, lang: Lang) -> String {
    let (_, group) = separators(lang);
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(group);
        }
        out.push(digit);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// A decimal number with `decimals` places: 17,05 (vi), 17.05 (en).
pub fn decimal(value: f64, decimals: usize, lang: Lang) -> String {
    let (point, _) = separators(lang);
    let rounded = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = rounded.split_once('.').unwrap_or((&rounded, ""));
    let whole = integer(whole.parse().unwrap_or(0), lang);
    let sign = if value < 0.0 && rounded.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{point}{fraction}")
    }
}

/// A rate (0..=1) as a percentage with two decimals: 84,39% (vi), 84.39% (en).
pub fn percent(rate: f64, lang: Lang) -> String {
    format!("{}%", decimal(rate * 100.0, 2, lang))
}

/// A date: 22/11/2026 in both languages (the form Vietnamese documents use).
pub fn date(day: NaiveDate, _lang: Lang) -> String {
    day.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_the_vietnamese_way() {
        assert_eq!(percent(0.8439, Lang::Vi), "84,39%");
        assert_eq!(percent(0.8439, Lang::En), "84.39%");
        assert_eq!(integer(1000, Lang::Vi), "1.000");
        assert_eq!(integer(1234567, Lang::Vi), "1.234.567");
        assert_eq!(integer(999, Lang::Vi), "999");
        assert_eq!(integer(-1000, Lang::En), "-1,000");
        assert_eq!(decimal(17.0496, 2, Lang::Vi), "17,05");
        assert_eq!(decimal(1234.5, 1, Lang::Vi), "1.234,5");
        assert_eq!(decimal(-0.001, 2, Lang::Vi), "0,00");
        assert_eq!(decimal(-3.29, 2, Lang::Vi), "-3,29");
        assert_eq!(percent(1.0, Lang::Vi), "100,00%");
    }

    #[test]
    fn dates_are_day_month_year() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert_eq!(date(day, Lang::Vi), "02/11/2026");
    }

    #[test]
    fn vietnamese_and_english_define_the_same_messages() {
        let locales = Locales::load();
        let mut vi = locales.ids(Lang::Vi);
        let mut en = locales.ids(Lang::En);
        vi.sort();
        en.sort();
        assert_eq!(vi, en);
        assert!(!vi.is_empty());
    }

    #[test]
    fn no_bidi_isolation_marks_in_output() {
        let locales = Locales::load();
        for lang in [Lang::Vi, Lang::En] {
            for id in locales.ids(lang) {
                let text = locales.text(lang, &id, &[("count", "3".into())]);
                assert!(
                    !text.contains(['\u{2068}', '\u{2069}']),
                    "{id} in {lang:?}: {text:?}"
                );
            }
        }
    }
}
