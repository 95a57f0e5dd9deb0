//! Ratings from a rating template (Zalo's "Đánh giá dịch vụ": stars, reasons, a note) never lose
//! their stars. A rating is stored as a response on a flow that has the overall question: the
//! invitation's own flow when it has one (the short flow), else the shipped one-question rating
//! flow [`RATING_FLOW`] in force, whatever flow the agency uses (the full flow has no overall
//! question, and the stars used to be dropped there). Its other questions are skipped, so it
//! counts for "Đánh giá chung" (the overall question) and in no factor's index.

use super::{Citizens, CitizensError, binding};
use crate::core::flow::{Flow, Question, QuestionKind};
use crate::core::survey::{self, Button, Input};
use crate::services::conversation::Opened;
use crate::storage::{Effects, InvitationStatus, SessionOpenError, StorageError};
use chrono::{DateTime, Utc};

/// A rating as a template brings it, channel-neutral.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rating {
    /// Our invitation token, when the template carried it back (Zalo's `tracking_id`).
    pub tracking_id: Option<String>,
    /// The id of the template message rated, when known (matched to the invitation it carried).
    pub template_message_id: Option<String>,
    /// The citizen's own chat on the channel, when the event names it.
    pub chat: Option<String>,
    /// 1 to 5; a rating without stars is not stored.
    pub stars: Option<u8>,
    /// The reasons chosen and the note, as one comment.
    pub comment: String,
}

/// What the rating answers of `question`: the stars for the overall question, the comment for
/// the first free-text question, a skip for the rest.
pub fn input_for(flow: &Flow, question: &Question, rating: &Rating) -> Input {
    let overall =
        matches!(&question.kind, QuestionKind::Scale { factor } if factor == OVERALL_FACTOR);
    let skip = Input::Button {
        question: question.id.clone(),
        button: Button::Skip,
    };
    if overall {
        return match rating.stars {
            Some(stars) => Input::Button {
                question: question.id.clone(),
                button: Button::Scale(stars),
            },
            None => skip,
        };
    }
    let first_text = flow
        .questions
        .iter()
        .find(|q| matches!(q.kind, QuestionKind::Text { .. }))
        .is_some_and(|q| q.id == question.id);
    if let (true, false, QuestionKind::Text { max_length }) =
        (first_text, rating.comment.is_empty(), &question.kind)
    {
        return Input::Text(rating.comment.chars().take(*max_length).collect());
    }
    skip
}

/// The factor whose question the stars answer.
pub const OVERALL_FACTOR: &str = "overall";

/// The shipped flow a rating is stored on when the invitation's flow has no overall question.
pub const RATING_FLOW: &str = "sipas-rating";

/// Whether `flow` asks the overall question (the one the stars answer).
pub fn has_overall(flow: &Flow) -> bool {
    flow.questions
        .iter()
        .any(|q| matches!(&q.kind, QuestionKind::Scale { factor } if factor == OVERALL_FACTOR))
}

impl Citizens {
    /// Stores a rating as a response on `channel` (see the module's comment), `inbound` being
    /// the event's key. A rating for an invitation already answered changes nothing (a webhook
    /// and a reconciliation may bring the same one); a rating from a chat the invitation is not
    /// bound to is ignored, as is one that matches no invitation.
    pub async fn store_rating(
        &self,
        channel: &str,
        inbound: &str,
        rating: &Rating,
        now: DateTime<Utc>,
    ) -> Result<(), CitizensError> {
        let db = self.db();
        let mut invitation = None;
        if let Some(tracking) = &rating.tracking_id {
            invitation = db.invitation(tracking).await?;
        }
        if invitation.is_none()
            && let Some(message) = &rating.template_message_id
            && let Some(token) = db.invitation_by_zalo_msg(message).await?
        {
            invitation = db.invitation(&token).await?;
        }
        let Some(invitation) = invitation else {
            tracing::warn!(channel, "a rating matches no invitation");
            self.record(channel, inbound, Vec::new(), now).await?;
            return Ok(());
        };
        // Without a chat, the rating came back through the template sent to the recipient.
        let allowed = rating
            .chat
            .as_deref()
            .is_none_or(|chat| binding::may_open(&invitation, channel, chat));
        if !allowed || invitation.status == InvitationStatus::Completed || rating.stars.is_none() {
            self.record(channel, inbound, Vec::new(), now).await?;
            return Ok(());
        }
        let token = invitation.token;
        // The citizen's own chat when the event names them, so a survey begun in the chat is
        // the one completed; else a reference of the rating's own (never a phone number).
        let chat = rating
            .chat
            .clone()
            .unwrap_or_else(|| format!("rating:{token}"));
        let opened = match self.open_rating(channel, &token, &chat, now).await {
            Ok(opened) => opened,
            Err(SessionOpenError::Storage(err)) => return Err(err.into()),
            Err(refusal) => {
                tracing::warn!(%refusal, "a rating could not open its invitation");
                self.record(channel, inbound, Vec::new(), now).await?;
                return Ok(());
            }
        };
        let mut session = opened.session;
        let flow = opened.flow;
        // Each step is stored; the event counts as handled with the step that completes.
        for _ in 0..=flow.questions.len() * 2 {
            let Some(question) =
                survey::current_question(&flow, &session.state).filter(|_| !session.state.finished)
            else {
                break;
            };
            let input = input_for(&flow, question, rating);
            let turn = self
                .conversations
                .input_with(&session, &input, now, |after, _, _| {
                    if after.state.finished {
                        Effects::from_inbound(channel, inbound)
                    } else {
                        Effects::default()
                    }
                })
                .await?;
            if turn.session.state == session.state {
                // The engine refused the input (an odd flow): stop rather than loop.
                tracing::warn!(question = %question.id, "a rating could not answer a question");
                break;
            }
            session = turn.session;
        }
        Ok(())
    }

    /// Opens (or resumes) the session a rating of invitation `token` is stored in, on a flow
    /// with the overall question (see the module's comment). A session already begun in the
    /// chat keeps its flow.
    pub async fn open_rating(
        &self,
        channel: &str,
        token: &str,
        chat: &str,
        now: DateTime<Utc>,
    ) -> Result<Opened, SessionOpenError> {
        let db = self.db();
        let invitation = db
            .invitation(token)
            .await?
            .ok_or(SessionOpenError::UnknownToken)?;
        let own = self.conversations.flow(invitation.flow_version_id).await?;
        let begun = db.session_for_token(token).await?.is_some();
        let flow_version_id = if has_overall(&own) || begun {
            None
        } else {
            let rating = db.latest_flow(RATING_FLOW).await?.ok_or_else(|| {
                StorageError::Corrupt(format!("the shipped flow {RATING_FLOW} is not stored"))
            })?;
            Some(rating.id)
        };
        self.conversations
            .open_on(token, channel, chat, self.lang, flow_version_id, now)
            .await
    }
}
