//! A simulated citizen: answers the questions it is shown the way people do in chat, through
//! the conversation service, so every answer goes through the engine and into storage.

use crate::core::flow::QuestionKind;
use crate::core::survey::{self, Button, Input, Reply, normalize};
use crate::services::conversation::{ConversationError, Conversations};
use crate::storage::Session;
use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::StdRng;

pub struct Citizen<'a> {
    rng: &'a mut StdRng,
    /// The chance that a criterion satisfied this citizen (rated 4 or 5).
    quality: f64,
    comments: &'a [&'a str],
}

impl<'a> Citizen<'a> {
    pub fn new(rng: &'a mut StdRng, quality: f64, comments: &'a [&'a str]) -> Citizen<'a> {
        Citizen {
            rng,
            quality,
            comments,
        }
    }

    /// Answers until the survey is complete.
    pub async fn answer(
        &mut self,
        conversations: &Conversations,
        mut session: Session,
        mut now: DateTime<Utc>,
    ) -> Result<(), ConversationError> {
        let flow = conversations.flow(session.flow_version_id).await?;
        // A bounded loop: a survey has a few dozen questions, with some retries and back-steps.
        for _ in 0..500 {
            let Some(question) = survey::current_question(&flow, &session.state) else {
                return Ok(());
            };
            let input = if self.rng.gen_bool(0.02) {
                Input::Text("hmm".into()) // unclear: the engine asks again
            } else if self.rng.gen_bool(0.02) && !session.state.answers.is_empty() {
                Input::Back
            } else {
                self.input_for(&flow, question)
            };
            // A person reads each question for a few seconds; instant answers would be flagged.
            now += chrono::Duration::seconds(self.rng.gen_range(3..20));
            let turn = conversations.input(&session, &input, now).await?;
            session = turn.session;
            if matches!(turn.reply, Reply::Finished | Reply::AlreadyFinished) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn input_for(
        &mut self,
        flow: &crate::core::flow::Flow,
        question: &crate::core::flow::Question,
    ) -> Input {
        let press = |button| Input::Button {
            question: question.id.clone(),
            button,
        };
        match &question.kind {
            QuestionKind::Scale { .. } => {
                if self.rng.gen_bool(0.04) {
                    return Input::Text("bo qua".into());
                }
                let level = self.level();
                match self.rng.gen_range(0..4) {
                    0 => Input::Text(level.to_string()),
                    1 => Input::Text(normalize(flow.scale_label(level).map_or("", |l| &l.vi))),
                    2 => Input::Text(
                        flow.scale_label(level)
                            .map_or(String::new(), |l| l.vi.to_uppercase()),
                    ),
                    _ => press(Button::Scale(level)),
                }
            }
            QuestionKind::YesNo => {
                let chance = match question.id.as_str() {
                    "gave_feedback" => 0.15,
                    "harassment" => 0.03,
                    "extra_payment" => 0.02,
                    _ => 0.4,
                };
                let yes = self.rng.gen_bool(chance);
                match (self.rng.gen_bool(0.5), yes) {
                    (true, true) => Input::Text("co".into()),
                    (true, false) => Input::Text("Không".into()),
                    (false, true) => press(Button::Yes),
                    (false, false) => press(Button::No),
                }
            }
            QuestionKind::SingleChoice { options } => {
                Input::Text(self.rng.gen_range(1..=options.len()).to_string())
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => {
                let count = self.rng.gen_range(1..=*max_choices);
                let picks: Vec<String> = (0..count)
                    .map(|_| self.rng.gen_range(1..=options.len()).to_string())
                    .collect();
                Input::Text(picks.join(", "))
            }
            QuestionKind::Text { .. } => {
                if self.rng.gen_bool(0.25) && !self.comments.is_empty() {
                    Input::Text(self.comments[self.rng.gen_range(0..self.comments.len())].into())
                } else {
                    press(Button::Skip)
                }
            }
        }
    }

    fn level(&mut self) -> u8 {
        if self.rng.gen_bool(self.quality) {
            if self.rng.gen_bool(0.45) { 5 } else { 4 }
        } else {
            match self.rng.gen_range(0..10) {
                0..6 => 3,
                6..9 => 2,
                _ => 1,
            }
        }
    }
}
