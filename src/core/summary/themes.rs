//! What citizens wrote, grouped into themes (issue 19 item 2), pure.
//!
//! A [`Lexicon`] is a list of themes, each with words and phrases and the expectation choices
//! that belong to it; the shipped one is `themes/vi.toml` (an admin replaces it with
//! `THEMES_FILE`, checked by `sipas-bot themes check FILE`). A comment belongs to every theme one
//! of whose phrases it contains as whole words, compared after [`normalize`] (no diacritics, lower
//! case, punctuation as spaces); a comment matching none is counted under [`OTHER`]. A period's
//! figures count comments and expectation choices together, per scope and per direct unit, with
//! the change of each theme's share from the previous period.
//!
//! Themes only group what is shown: alerts for harassment or unofficial payments are raised by
//! the flow's `alert_if` questions, apart from this, and a comment about a payment is counted
//! under its theme like any other.

use super::mask;
use crate::core::survey::normalize;
use serde::Serialize;
use std::collections::BTreeMap;

/// The theme of comments that match no other.
pub const OTHER: &str = "other";
/// The lexicon shipped with the binary.
pub const SHIPPED: &str = include_str!("../../../themes/vi.toml");
/// How many masked examples each theme shows.
const EXAMPLES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub id: String,
    pub name: String,
    /// Normalized phrases, each a space-separated run of words.
    pub phrases: Vec<String>,
    /// Expectation options (of any flow) counted under this theme.
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexicon {
    pub themes: Vec<Theme>,
}

/// Why a lexicon file is refused, with the line it concerns (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    pub line: usize,
    pub problem: LexiconProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexiconProblem {
    /// Not TOML, or not the expected shape (`[[theme]]` with `id`, `name`, `phrases`).
    Syntax(String),
    NoThemes,
    BadId(String),
    DuplicateId(String),
    EmptyName(String),
    NoPhrases(String),
    EmptyPhrase(String),
    MissingOther,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    theme: Vec<RawTheme>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    id: String,
    name: String,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    options: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Lexicon {
    /// The lexicon shipped in `themes/vi.toml`.
    pub fn shipped() -> Lexicon {
        Lexicon::parse(SHIPPED).expect("the shipped themes are valid")
    }

    /// Parses and checks a lexicon file: every theme has an id (`a-z`, `0-9`, `_`), a name and
    /// at least one phrase (but [`OTHER`], which must be there and has none of its own).
    pub fn parse(text: &str) -> Result<Lexicon, LexiconError> {
        let file: File = toml::from_str(text).map_err(|err| LexiconError {
            line: err.span().map_or(1, |span| line_of(text, span.start)),
            problem: LexiconProblem::Syntax(err.message().to_string()),
        })?;
        // The line of each `[[theme]]` header, in order: where a theme's problem is reported.
        let headers: Vec<usize> = text
            .match_indices("[[theme]]")
            .map(|(offset, _)| line_of(text, offset))
            .collect();
        let at = |index: usize, problem| LexiconError {
            line: headers.get(index).copied().unwrap_or(1),
            problem,
        };
        if file.theme.is_empty() {
            return Err(LexiconError {
                line: 1,
                problem: LexiconProblem::NoThemes,
            });
        }
        let mut themes: Vec<Theme> = Vec::new();
        for (index, raw) in file.theme.into_iter().enumerate() {
            let id_ok = !raw.id.is_empty()
                && raw
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !id_ok {
                return Err(at(index, LexiconProblem::BadId(raw.id)));
            }
            if themes.iter().any(|t| t.id == raw.id) {
                return Err(at(index, LexiconProblem::DuplicateId(raw.id)));
            }
            if raw.name.trim().is_empty() {
                return Err(at(index, LexiconProblem::EmptyName(raw.id)));
            }
            if raw.phrases.is_empty() && raw.id != OTHER {
                return Err(at(index, LexiconProblem::NoPhrases(raw.id)));
            }
            let mut phrases = Vec::new();
            for phrase in &raw.phrases {
                let normalized = normalize(phrase);
                if normalized.is_empty() {
                    return Err(at(index, LexiconProblem::EmptyPhrase(raw.id)));
                }
                phrases.push(normalized);
            }
            themes.push(Theme {
                id: raw.id,
                name: raw.name.trim().to_string(),
                phrases,
                options: raw.options,
            });
        }
        if !themes.iter().any(|t| t.id == OTHER) {
            return Err(LexiconError {
                line: 1,
                problem: LexiconProblem::MissingOther,
            });
        }
        Ok(Lexicon { themes })
    }

    /// The themes of one comment (ids, in lexicon order); [`OTHER`] when none matches; nothing
    /// for an empty comment.
    pub fn themes_of(&self, comment: &str) -> Vec<&str> {
        let text = format!(" {} ", normalize(comment));
        if text.trim().is_empty() {
            return Vec::new();
        }
        let found: Vec<&str> = self
            .themes
            .iter()
            .filter(|theme| {
                theme
                    .phrases
                    .iter()
                    .any(|phrase| text.contains(&format!(" {phrase} ")))
            })
            .map(|theme| theme.id.as_str())
            .collect();
        if found.is_empty() { vec![OTHER] } else { found }
    }

    /// The theme an expectation option belongs to, if any.
    pub fn theme_of_option(&self, option: &str) -> Option<&str> {
        self.themes
            .iter()
            .find(|t| t.options.iter().any(|o| o == option))
            .map(|t| t.id.as_str())
    }

    fn name(&self, id: &str) -> String {
        self.themes
            .iter()
            .find(|t| t.id == id)
            .map_or(id.to_string(), |t| t.name.clone())
    }
}

/// One theme in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeFigure {
    pub theme: String,
    pub name: String,
    /// Comments of the theme plus expectation choices of its options.
    pub count: u64,
    /// `count` over every comment and choice of the period.
    pub share: Option<f64>,
    /// Change of the share from the previous period, in percentage points.
    pub change: Option<f64>,
    /// A few of its comments, masked.
    pub examples: Vec<String>,
}

/// The themes of one direct unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitThemes {
    pub code: String,
    pub name: String,
    pub themes: Vec<ThemeFigure>,
}

/// What one group (a scope or a unit) said in a period: its comments and expectation picks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub comments: Vec<String>,
    /// `(option, how many picked it)`.
    pub picks: Vec<(String, u64)>,
}

fn tally(lexicon: &Lexicon, said: &Said) -> (BTreeMap<String, (u64, Vec<String>)>, u64) {
    let mut counts: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    let mut items = 0;
    for comment in &said.comments {
        let themes = lexicon.themes_of(comment);
        if themes.is_empty() {
            continue;
        }
        items += 1;
        for theme in themes {
            let entry = counts.entry(theme.to_string()).or_default();
            entry.0 += 1;
            if entry.1.len() < EXAMPLES {
                entry.1.push(mask(comment));
            }
        }
    }
    for (option, picked) in &said.picks {
        if let Some(theme) = lexicon.theme_of_option(option) {
            counts.entry(theme.to_string()).or_default().0 += picked;
            items += picked;
        }
    }
    (counts, items)
}

/// The themes of a period, most frequent first ([`OTHER`] last among equals), each with the
/// change of its share from `before`.
pub fn figures(lexicon: &Lexicon, now: &Said, before: &Said) -> Vec<ThemeFigure> {
    let (counts, items) = tally(lexicon, now);
    let (earlier, earlier_items) = tally(lexicon, before);
    let share = |count: u64, of: u64| (of > 0).then(|| count as f64 / of as f64);
    let mut found: Vec<ThemeFigure> = counts
        .into_iter()
        .map(|(theme, (count, examples))| {
            let previous = earlier.get(&theme).map_or(0, |(c, _)| *c);
            let now_share = share(count, items);
            ThemeFigure {
                name: lexicon.name(&theme),
                change: now_share
                    .zip(share(previous, earlier_items))
                    .map(|(a, b)| (a - b) * 100.0),
                share: now_share,
                theme,
                count,
                examples,
            }
        })
        .collect();
    found.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then((a.theme == OTHER).cmp(&(b.theme == OTHER)))
            .then(a.theme.cmp(&b.theme))
    });
    found
}

/// The multiple-choice picks of a tally (the expectations), by option.
fn picks(tally: &super::Tally) -> Vec<(String, u64)> {
    tally
        .answers
        .iter()
        .filter(|a| a.kind == "multiple_choice")
        .map(|a| (a.value.clone(), a.count))
        .collect()
}

/// Sets the themes of `summary`, for its scope and each direct unit: `now` and `before` are the
/// free-text comments of this period and the previous one, each with the code of the direct unit
/// (or the scope's own code) it belongs to; the expectation picks come from `totals`.
pub fn attach(
    summary: &mut super::WeeklySummary,
    lexicon: &Lexicon,
    scope: &super::Scope,
    totals: &super::PeriodTotals,
    now: &[(String, String)],
    before: &[(String, String)],
) {
    let empty = super::Tally::default();
    let n = totals.trend.len();
    let said = |comments: &[(String, String)], unit: Option<&str>, tally: &super::Tally| Said {
        comments: comments
            .iter()
            .filter(|(u, _)| unit.is_none_or(|unit| u == unit))
            .map(|(_, text)| text.clone())
            .collect(),
        picks: picks(tally),
    };
    let this_period = totals.trend.last().unwrap_or(&empty);
    let previous = n
        .checked_sub(2)
        .and_then(|i| totals.trend.get(i))
        .unwrap_or(&empty);
    summary.themes = figures(
        lexicon,
        &said(now, None, this_period),
        &said(before, None, previous),
    );
    summary.unit_themes = scope
        .units
        .iter()
        .map(|(code, name, _)| UnitThemes {
            code: code.clone(),
            name: name.clone(),
            themes: figures(
                lexicon,
                &said(now, Some(code), totals.units.get(code).unwrap_or(&empty)),
                &said(
                    before,
                    Some(code),
                    totals.units_before.get(code).unwrap_or(&empty),
                ),
            ),
        })
        .filter(|unit| !unit.themes.is_empty())
        .collect();
}

#[cfg(test)]
#[path = "themes_tests.rs"]
mod tests;
