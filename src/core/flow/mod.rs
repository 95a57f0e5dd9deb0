//! Question flows as data: the model of a flow file (TOML), its parsing and its validation.
//!
//! A flow holds every word the survey shows a citizen (questions, options, the scale labels, the
//! button words), so the engine and the channels never carry survey text of their own. This module
//! does no I/O beyond `load`, which reads one file; everything else works on strings.

mod ids;
mod validate;

pub use ids::{flow_id_is_valid, option_id_is_valid, question_id_is_valid};
pub use validate::{FlowProblem, ProblemKind, render_problem, validate};

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A language the survey can be shown in. Vietnamese is the default and always present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses a language code such as `vi`, `en`, `en-US`; unknown codes give `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        let base = code
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match base.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A text in Vietnamese (required) and optionally English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Text {
    #[serde(default)]
    pub vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in `lang`, falling back to Vietnamese.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self
                .en
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(&self.vi),
            Lang::Vi => &self.vi,
        }
    }

    /// Every language variant present, for matching typed input in any language.
    pub fn variants(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.vi.as_str()).chain(self.en.as_deref())
    }
}

/// One flow version: what a citizen is asked, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub id: String,
    pub version: i64,
    pub title: Text,
    /// Shown before the first question.
    #[serde(default)]
    pub intro: Text,
    /// Shown after the last answer.
    #[serde(default)]
    pub outro: Text,
    #[serde(default)]
    pub labels: Labels,
    /// The 5-level scale, one entry per level.
    #[serde(default)]
    pub scale: Vec<ScaleLevel>,
    #[serde(default)]
    pub factors: Vec<Factor>,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// The yes/no question where the citizen agrees to be contacted: only then does an alert
    /// show the dossier code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_question: Option<String>,
}

/// The words of the survey's buttons and commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    #[serde(default)]
    pub skip: Text,
    #[serde(default)]
    pub yes: Text,
    #[serde(default)]
    pub no: Text,
    #[serde(default)]
    pub done: Text,
    #[serde(default)]
    pub back: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    pub value: u8,
    pub text: Text,
}

/// One of the SIPAS factors (yếu tố) that scale questions score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub id: String,
    pub name: Text,
    /// Whether the factor counts in the overall SIPAS index (the mean of the five official
    /// factors). A flow's own "overall" question is scored but kept out of the index.
    #[serde(default = "counts_by_default")]
    pub in_index: bool,
}

fn counts_by_default() -> bool {
    true
}

// `deny_unknown_fields` does not combine with `flatten`; the kind's tag catches most typos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: Text,
    #[serde(flatten)]
    pub kind: QuestionKind,
    /// Shown only when an earlier answer matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Answers that alert the subscribed officials at once (e.g. `["yes"]` on "asked to pay
    /// outside the rules"). Scale criteria rated 1 or 2 always alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alert_if: Vec<String>,
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    /// The 5-level satisfaction scale, scoring one factor.
    Scale {
        factor: String,
    },
    SingleChoice {
        options: Vec<Choice>,
    },
    MultipleChoice {
        options: Vec<Choice>,
        max_choices: usize,
    },
    YesNo,
    Text {
        max_length: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub text: Text,
}

/// `show_if = { question = "gave_feedback", any_of = ["yes"] }`: the question is shown when the
/// earlier answer's value (scale digit, option id, `yes`/`no`) is one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

/// The flows shipped in flows/, built into the binary so it runs from any directory.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "flows/sipas-full.toml",
        include_str!("../../../flows/sipas-full.toml"),
    ),
    (
        "flows/sipas-short.toml",
        include_str!("../../../flows/sipas-short.toml"),
    ),
    (
        "flows/sipas-rating.toml",
        include_str!("../../../flows/sipas-rating.toml"),
    ),
];

/// The shipped flows, parsed. They are checked by tests, so a failure here is a bug.
pub fn builtin() -> Vec<Flow> {
    BUILTIN
        .iter()
        .map(|(file, source)| Flow::from_toml(file, source).unwrap_or_else(|err| panic!("{err}")))
        .collect()
}

/// Why a flow file could not be read at all (before validation).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
}

impl Flow {
    /// Parses a flow from TOML. `file` names the source in messages.
    pub fn from_toml(file: &str, source: &str) -> Result<Flow, LoadError> {
        toml::from_str(source).map_err(|err| LoadError::Syntax {
            file: file.to_string(),
            message: one_line(&err.to_string()),
        })
    }

    /// Reads and parses a flow file (not validated: call [`validate`]).
    pub fn load(path: &Path) -> Result<(Flow, String), LoadError> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            file: file.clone(),
            source,
        })?;
        let flow = Flow::from_toml(&file, &source)?;
        Ok((flow, source))
    }

    /// Serializes the flow back to TOML, e.g. to store or export a version.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a flow always serializes")
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }

    pub fn factor(&self, id: &str) -> Option<&Factor> {
        self.factors.iter().find(|f| f.id == id)
    }

    /// The scale label of `value` (1..=5).
    pub fn scale_label(&self, value: u8) -> Option<&Text> {
        self.scale
            .iter()
            .find(|l| l.value == value)
            .map(|l| &l.text)
    }

    /// The scale levels from the best (5) to the worst (1), as buttons show them.
    pub fn scale_descending(&self) -> Vec<&ScaleLevel> {
        let mut levels: Vec<&ScaleLevel> = self.scale.iter().collect();
        levels.sort_by_key(|level| std::cmp::Reverse(level.value));
        levels
    }
}

impl Question {
    /// The factor this question scores, for scale questions.
    pub fn factor(&self) -> Option<&str> {
        match &self.kind {
            QuestionKind::Scale { factor } => Some(factor),
            _ => None,
        }
    }

    pub fn options(&self) -> &[Choice] {
        match &self.kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => options,
            _ => &[],
        }
    }
}

/// TOML errors span several lines with a caret diagram; messages here are one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_falls_back_to_vietnamese() {
        let text = Text {
            vi: "Xin chào".into(),
            en: None,
        };
        assert_eq!(text.get(Lang::En), "Xin chào");
        let text = Text {
            vi: "Xin chào".into(),
            en: Some("Hello".into()),
        };
        assert_eq!(text.get(Lang::En), "Hello");
        assert_eq!(text.get(Lang::Vi), "Xin chào");
    }

    #[test]
    fn language_codes_parse() {
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("vi"), Some(Lang::Vi));
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn shipped_flows_are_valid() {
        for (file, source) in BUILTIN {
            let flow = Flow::from_toml(file, source).unwrap();
            assert_eq!(validate(file, &flow), Vec::new(), "{file}");
        }
    }

    #[test]
    fn shipped_flows_use_the_official_scale_labels() {
        for flow in builtin() {
            let labels: Vec<&str> = flow
                .scale_descending()
                .iter()
                .map(|l| l.text.vi.as_str())
                .collect();
            assert_eq!(
                labels,
                [
                    "Rất hài lòng",
                    "Hài lòng",
                    "Bình thường",
                    "Không hài lòng",
                    "Rất không hài lòng"
                ]
            );
            assert_eq!(flow.labels.skip.vi, "Bỏ qua");
        }
    }

    #[test]
    fn the_full_flow_has_the_nineteen_criteria_of_the_five_factors() {
        let flow = builtin()
            .into_iter()
            .find(|f| f.id == "sipas-full")
            .unwrap();
        let count = |factor: &str| {
            flow.questions
                .iter()
                .filter(|q| q.factor() == Some(factor))
                .count()
        };
        assert_eq!(
            [
                count("access"),
                count("procedures"),
                count("civil_servants"),
                count("results"),
                count("feedback")
            ],
            [4, 4, 5, 3, 3]
        );
        for question in flow
            .questions
            .iter()
            .filter(|q| q.factor() == Some("feedback"))
        {
            assert_eq!(question.show_if.as_ref().unwrap().question, "gave_feedback");
        }
        for id in [
            "expectations",
            "harassment",
            "extra_payment",
            "comment",
            "contact_consent",
        ] {
            assert!(flow.question(id).is_some(), "{id}");
        }
        assert_eq!(flow.questions.last().unwrap().id, "contact_consent");
    }

    #[test]
    fn questions_are_short_enough_for_a_phone() {
        for flow in builtin() {
            for question in &flow.questions {
                let length = question.text.vi.chars().count();
                assert!(
                    length <= 160,
                    "{}: {} is {length} characters",
                    flow.id,
                    question.id
                );
            }
        }
    }

    #[test]
    fn syntax_errors_name_the_file_on_one_line() {
        let err = Flow::from_toml("flows/bad.toml", "id = [").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("flows/bad.toml: "), "{message}");
        assert!(!message.contains('\n'));
    }
}
