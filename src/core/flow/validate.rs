//! Validation of a parsed flow: every problem found, each naming the file, the question and what
//! is wrong. Problems are data, rendered through the locale files by [`render_problem`], so the
//! CLI and the admin console say the same.

use super::ids::{flow_id_is_valid, option_id_is_valid, question_id_is_valid};
use super::{Flow, Lang, QuestionKind, Text};
use crate::core::i18n::Locales;
use std::collections::HashSet;

/// One thing wrong with a flow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowProblem {
    pub file: String,
    /// The question concerned, when there is one.
    pub question: Option<String>,
    pub kind: ProblemKind,
}

/// One problem as a line: the file, the question and what is wrong.
pub fn render_problem(locales: &Locales, lang: Lang, problem: &FlowProblem) -> String {
    let message = locales.text(lang, problem.kind.message_id(), &problem.kind.args());
    match &problem.question {
        Some(question) => locales.text(
            lang,
            "flow-problem-in-question",
            &[
                ("file", problem.file.clone()),
                ("question", question.clone()),
                ("problem", message),
            ],
        ),
        None => locales.text(
            lang,
            "flow-problem-in-flow",
            &[("file", problem.file.clone()), ("problem", message)],
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    EmptyId,
    /// An id with characters or a length that is not allowed (see [`question_id_is_valid`],
    /// [`option_id_is_valid`] and [`flow_id_is_valid`]).
    BadId {
        id: String,
    },
    BadVersion {
        version: i64,
    },
    NoQuestions,
    DuplicateQuestion,
    DuplicateFactor {
        factor: String,
    },
    DuplicateOption {
        option: String,
    },
    UnknownFactor {
        factor: String,
    },
    ConditionUnknownQuestion {
        target: String,
    },
    ConditionLaterQuestion {
        target: String,
    },
    ConditionUnknownValue {
        target: String,
        value: String,
    },
    MissingVietnamese {
        field: String,
    },
    NoOptions,
    BadMaxChoices {
        max: usize,
        options: usize,
    },
    BadMaxLength,
    FactorWithoutQuestion {
        factor: String,
    },
    ScaleLevels,
    AlertUnknownValue {
        value: String,
    },
    ContactQuestion {
        target: String,
    },
}

impl ProblemKind {
    /// The locale message id that describes this problem.
    pub fn message_id(&self) -> &'static str {
        match self {
            ProblemKind::EmptyId => "flow-problem-empty-id",
            ProblemKind::BadId { .. } => "flow-problem-bad-id",
            ProblemKind::BadVersion { .. } => "flow-problem-bad-version",
            ProblemKind::NoQuestions => "flow-problem-no-questions",
            ProblemKind::DuplicateQuestion => "flow-problem-duplicate-question",
            ProblemKind::DuplicateFactor { .. } => "flow-problem-duplicate-factor",
            ProblemKind::DuplicateOption { .. } => "flow-problem-duplicate-option",
            ProblemKind::UnknownFactor { .. } => "flow-problem-unknown-factor",
            ProblemKind::ConditionUnknownQuestion { .. } => {
                "flow-problem-condition-unknown-question"
            }
            ProblemKind::ConditionLaterQuestion { .. } => "flow-problem-condition-later-question",
            ProblemKind::ConditionUnknownValue { .. } => "flow-problem-condition-unknown-value",
            ProblemKind::MissingVietnamese { .. } => "flow-problem-missing-vietnamese",
            ProblemKind::NoOptions => "flow-problem-no-options",
            ProblemKind::BadMaxChoices { .. } => "flow-problem-bad-max-choices",
            ProblemKind::BadMaxLength => "flow-problem-bad-max-length",
            ProblemKind::FactorWithoutQuestion { .. } => "flow-problem-factor-without-question",
            ProblemKind::ScaleLevels => "flow-problem-scale-levels",
            ProblemKind::AlertUnknownValue { .. } => "flow-problem-alert-unknown-value",
            ProblemKind::ContactQuestion { .. } => "flow-problem-contact-question",
        }
    }

    /// The arguments of the locale message.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            ProblemKind::BadVersion { version } => vec![("version", version.to_string())],
            ProblemKind::BadId { id } => vec![("id", id.clone())],
            ProblemKind::DuplicateFactor { factor }
            | ProblemKind::UnknownFactor { factor }
            | ProblemKind::FactorWithoutQuestion { factor } => vec![("factor", factor.clone())],
            ProblemKind::DuplicateOption { option } => vec![("option", option.clone())],
            ProblemKind::ConditionUnknownQuestion { target }
            | ProblemKind::ConditionLaterQuestion { target } => vec![("target", target.clone())],
            ProblemKind::ConditionUnknownValue { target, value } => {
                vec![("target", target.clone()), ("value", value.clone())]
            }
            ProblemKind::MissingVietnamese { field } => vec![("field", field.clone())],
            ProblemKind::AlertUnknownValue { value } => vec![("value", value.clone())],
            ProblemKind::ContactQuestion { target } => vec![("target", target.clone())],
            ProblemKind::BadMaxChoices { max, options } => {
                vec![("max", max.to_string()), ("options", options.to_string())]
            }
            _ => Vec::new(),
        }
    }
}

/// Checks a flow; an empty list means it can be published.
pub fn validate(file: &str, flow: &Flow) -> Vec<FlowProblem> {
    let mut checker = Checker {
        file,
        problems: Vec::new(),
    };
    checker.flow_level(flow);
    checker.questions(flow);
    checker.problems
}

struct Checker<'a> {
    file: &'a str,
    problems: Vec<FlowProblem>,
}

impl Checker<'_> {
    fn push(&mut self, question: Option<&str>, kind: ProblemKind) {
        self.problems.push(FlowProblem {
            file: self.file.to_string(),
            question: question.map(str::to_string),
            kind,
        });
    }

    fn require_vi(&mut self, question: Option<&str>, field: &str, text: &Text) {
        if text.vi.trim().is_empty() {
            self.push(
                question,
                ProblemKind::MissingVietnamese {
                    field: field.to_string(),
                },
            );
        }
    }

    fn flow_level(&mut self, flow: &Flow) {
        if flow.id.trim().is_empty() {
            self.push(None, ProblemKind::EmptyId);
        } else if !flow_id_is_valid(&flow.id) {
            self.push(
                None,
                ProblemKind::BadId {
                    id: flow.id.clone(),
                },
            );
        }
        if flow.version < 1 {
            self.push(
                None,
                ProblemKind::BadVersion {
                    version: flow.version,
                },
            );
        }
        if flow.questions.is_empty() {
            self.push(None, ProblemKind::NoQuestions);
        }
        self.require_vi(None, "title", &flow.title);
        let labels = &flow.labels;
        for (field, text) in [
            ("labels.skip", &labels.skip),
            ("labels.yes", &labels.yes),
            ("labels.no", &labels.no),
            ("labels.done", &labels.done),
            ("labels.back", &labels.back),
        ] {
            self.require_vi(None, field, text);
        }
        if let Some(target) = &flow.contact_question {
            let yes_no = flow
                .question(target)
                .is_some_and(|q| q.kind == QuestionKind::YesNo);
            if !yes_no {
                self.push(
                    None,
                    ProblemKind::ContactQuestion {
                        target: target.clone(),
                    },
                );
            }
        }
        let mut values: Vec<u8> = flow.scale.iter().map(|level| level.value).collect();
        values.sort_unstable();
        if values != [1, 2, 3, 4, 5] {
            self.push(None, ProblemKind::ScaleLevels);
        }
        for level in &flow.scale {
            self.require_vi(None, &format!("scale.{}", level.value), &level.text);
        }
        let mut seen = HashSet::new();
        for factor in &flow.factors {
            if !seen.insert(factor.id.as_str()) {
                self.push(
                    None,
                    ProblemKind::DuplicateFactor {
                        factor: factor.id.clone(),
                    },
                );
            }
            self.require_vi(None, &format!("factors.{}.name", factor.id), &factor.name);
            let scored = flow
                .questions
                .iter()
                .any(|q| q.factor() == Some(factor.id.as_str()));
            if !scored {
                self.push(
                    None,
                    ProblemKind::FactorWithoutQuestion {
                        factor: factor.id.clone(),
                    },
                );
            }
        }
    }

    fn questions(&mut self, flow: &Flow) {
        let mut seen = HashSet::new();
        for (index, question) in flow.questions.iter().enumerate() {
            let id = Some(question.id.as_str());
            if question.id.trim().is_empty() {
                self.push(None, ProblemKind::EmptyId);
            } else if !question_id_is_valid(&question.id) {
                // Not named as the question: the id itself is what cannot be shown as is.
                self.push(
                    None,
                    ProblemKind::BadId {
                        id: question.id.clone(),
                    },
                );
            }
            if !seen.insert(question.id.as_str()) {
                self.push(id, ProblemKind::DuplicateQuestion);
            }
            self.require_vi(id, "text", &question.text);
            match &question.kind {
                QuestionKind::Scale { factor } => {
                    if flow.factor(factor).is_none() {
                        self.push(
                            id,
                            ProblemKind::UnknownFactor {
                                factor: factor.clone(),
                            },
                        );
                    }
                }
                QuestionKind::SingleChoice { options } => self.options(id, options),
                QuestionKind::MultipleChoice {
                    options,
                    max_choices,
                } => {
                    self.options(id, options);
                    if !options.is_empty() && (*max_choices == 0 || *max_choices > options.len()) {
                        self.push(
                            id,
                            ProblemKind::BadMaxChoices {
                                max: *max_choices,
                                options: options.len(),
                            },
                        );
                    }
                }
                QuestionKind::Text { max_length } => {
                    if *max_length == 0 {
                        self.push(id, ProblemKind::BadMaxLength);
                    }
                }
                QuestionKind::YesNo => {}
            }
            for value in &question.alert_if {
                if !value_is_possible(question, value) {
                    self.push(
                        id,
                        ProblemKind::AlertUnknownValue {
                            value: value.clone(),
                        },
                    );
                }
            }
            if let Some(condition) = &question.show_if {
                self.condition(flow, index, id, &condition.question, &condition.any_of);
            }
        }
    }

    fn options(&mut self, id: Option<&str>, options: &[super::Choice]) {
        if options.is_empty() {
            self.push(id, ProblemKind::NoOptions);
        }
        let mut seen = HashSet::new();
        for option in options {
            if !option_id_is_valid(&option.id) {
                self.push(
                    id,
                    ProblemKind::BadId {
                        id: option.id.clone(),
                    },
                );
            }
            if !seen.insert(option.id.as_str()) {
                self.push(
                    id,
                    ProblemKind::DuplicateOption {
                        option: option.id.clone(),
                    },
                );
            }
            self.require_vi(id, &format!("options.{}", option.id), &option.text);
        }
    }

    fn condition(
        &mut self,
        flow: &Flow,
        index: usize,
        id: Option<&str>,
        target: &str,
        any_of: &[String],
    ) {
        let Some(target_index) = flow.question_index(target) else {
            self.push(
                id,
                ProblemKind::ConditionUnknownQuestion {
                    target: target.to_string(),
                },
            );
            return;
        };
        if target_index >= index {
            self.push(
                id,
                ProblemKind::ConditionLaterQuestion {
                    target: target.to_string(),
                },
            );
            return;
        }
        let target_question = &flow.questions[target_index];
        for value in any_of {
            if !value_is_possible(target_question, value) {
                self.push(
                    id,
                    ProblemKind::ConditionUnknownValue {
                        target: target.to_string(),
                        value: value.clone(),
                    },
                );
            }
        }
    }
}

/// Whether an answer to `question` can have the condition value `value`.
fn value_is_possible(question: &super::Question, value: &str) -> bool {
    match &question.kind {
        QuestionKind::Scale { .. } => matches!(value, "1" | "2" | "3" | "4" | "5" | "skip"),
        QuestionKind::YesNo => matches!(value, "yes" | "no" | "skip"),
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            value == "skip" || options.iter().any(|o| o.id == value)
        }
        QuestionKind::Text { .. } => matches!(value, "answered" | "skip"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_ids(flow: &Flow) -> Vec<String> {
        validate("f.toml", flow)
            .into_iter()
            .filter_map(|p| match p.kind {
                ProblemKind::BadId { id } => Some(id),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn hostile_question_ids_are_refused() {
        let long = "a".repeat(33);
        for hostile in [
            "x\"><script>",
            long.as_str(),
            "Access",
            "1st",
            "_x",
            "a-b",
            "câu",
        ] {
            let mut flow = crate::core::flow::builtin().remove(0);
            flow.questions[0].id = hostile.to_string();
            assert_eq!(bad_ids(&flow), [hostile.to_string()], "{hostile}");
        }
    }

    #[test]
    fn hostile_flow_ids_are_refused() {
        let long = "a".repeat(65);
        for hostile in [
            "x\"><script>",
            long.as_str(),
            "SIPAS-full",
            "-x",
            "a b",
            "a/b",
        ] {
            let mut flow = crate::core::flow::builtin().remove(0);
            flow.id = hostile.to_string();
            assert_eq!(bad_ids(&flow), [hostile.to_string()], "{hostile}");
        }
    }

    #[test]
    fn hostile_option_ids_are_refused() {
        let long = "o".repeat(25);
        for hostile in ["x\"><script>", long.as_str(), "Nhanh", "1"] {
            let mut flow = crate::core::flow::builtin().remove(0);
            let question = flow
                .questions
                .iter_mut()
                .find(|q| !q.options().is_empty())
                .unwrap();
            if let QuestionKind::MultipleChoice { options, .. } = &mut question.kind {
                options[0].id = hostile.to_string();
            }
            assert!(bad_ids(&flow).contains(&hostile.to_string()), "{hostile}");
        }
    }

    #[test]
    fn the_message_names_the_id_in_every_locale() {
        let locales = crate::core::i18n::Locales::load();
        let kind = ProblemKind::BadId {
            id: "x\"><script>".into(),
        };
        for lang in [crate::core::flow::Lang::Vi, crate::core::flow::Lang::En] {
            let text = locales.text(lang, kind.message_id(), &kind.args());
            assert!(text.contains("x\"><script>"), "{text}");
            assert!(text.contains("32"), "{text}");
        }
    }
}
