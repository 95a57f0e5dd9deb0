//! Ratings from the rating template ("Đánh giá dịch vụ"): a `user_feedback` event, or an item of
//! the daily reconciliation through the rating query, becomes a response through the same engine
//! as the chat, on a flow with the overall question (the citizens' service picks it:
//! [`crate::services::citizens::rating`]): the stars answer the overall question, the chosen
//! reasons and the note answer the comment, every other question is skipped.
//!
//! The invitation is found by the tracking id (our invitation token) or by the template's
//! message id. A rating for an invitation already completed changes nothing, so the webhook and
//! the reconciliation may both see the same rating.

use super::api::RatingQuery;
use super::conversation::{Zalo, ZaloHandleError};
use super::errors::ZaloError;
use super::events::Feedback;
use super::token::TokenManager;
use crate::core::flow::{Flow, Question, QuestionKind};
use crate::core::survey::{self, Button, Input};
use crate::storage::{Effects, InvitationStatus, SessionOpenError};
use chrono::{DateTime, Duration, Utc};

pub use crate::services::citizens::rating::OVERALL_FACTOR;

/// Ratings read per page of the rating query.
const PAGE: u32 = 100;

/// What the rating answers of `question`: the stars for the overall question, the reasons and
/// note for the first free-text question, a skip for the rest.
fn input_for(flow: &Flow, question: &Question, feedback: &Feedback) -> Input {
    let overall =
        matches!(&question.kind, QuestionKind::Scale { factor } if factor == OVERALL_FACTOR);
    let skip = Input::Button {
        question: question.id.clone(),
        button: Button::Skip,
    };
    if overall {
        return match feedback.rate {
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
    let comment = comment(feedback);
    if let (true, false, QuestionKind::Text { max_length }) =
        (first_text, comment.is_empty(), &question.kind)
    {
        return Input::Text(comment.chars().take(*max_length).collect());
    }
    skip
}

/// The reasons chosen, then the note, as one comment.
pub fn comment(feedback: &Feedback) -> String {
    let mut parts: Vec<String> = feedback
        .feedbacks
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if let Some(note) = feedback
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        parts.push(note.to_string());
    }
    parts.join("; ")
}

impl Zalo {
    /// Stores a rating as a response (see the module's comment). `inbound` is the event's key.
    pub async fn store_feedback(
        &self,
        inbound: &str,
        feedback: &Feedback,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let db = self.conversations.db();
        let mut token = None;
        if let Some(tracking) = &feedback.tracking_id
            && db.invitation(tracking).await?.is_some()
        {
            token = Some(tracking.clone());
        }
        if token.is_none()
            && let Some(msg_id) = &feedback.msg_id
        {
            token = db.invitation_by_zalo_msg(msg_id).await?;
        }
        let Some(token) = token else {
            tracing::warn!("a Zalo rating matches no invitation");
            self.record(inbound, Vec::new(), now).await?;
            return Ok(());
        };
        let Some(invitation) = db.invitation(&token).await? else {
            self.record(inbound, Vec::new(), now).await?;
            return Ok(());
        };
        if invitation.status == InvitationStatus::Completed || feedback.rate.is_none() {
            self.record(inbound, Vec::new(), now).await?;
            return Ok(());
        }
        // The citizen's own chat when the event names them, so a survey begun in the OA chat is
        // the one completed; else a reference of the rating's own (never a phone number).
        let chat_ref = feedback
            .user_id
            .clone()
            .unwrap_or_else(|| format!("rating:{token}"));
        // A flow with the overall question, whatever the agency's flow: the stars are kept.
        let opened = match self
            .citizens
            .open_rating(super::CHANNEL, &token, &chat_ref, now)
            .await
        {
            Ok(opened) => opened,
            Err(SessionOpenError::Storage(err)) => return Err(err.into()),
            Err(refusal) => {
                tracing::warn!(%refusal, "a Zalo rating could not open its invitation");
                self.record(inbound, Vec::new(), now).await?;
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
            let input = input_for(&flow, question, feedback);
            let turn = self
                .conversations
                .input_with(&session, &input, now, |after, _, _| {
                    if after.state.finished {
                        Effects::from_inbound(super::CHANNEL, inbound)
                    } else {
                        Effects::default()
                    }
                })
                .await?;
            if turn.session.state == session.state {
                // The engine refused the input (an odd flow): stop rather than loop.
                tracing::warn!(question = %question.id, "a Zalo rating could not answer a question");
                break;
            }
            session = turn.session;
        }
        Ok(())
    }

    /// The daily reconciliation: reads the ratings of `template_id` given between `from` and
    /// `to` through the rating query and stores those the webhook never brought. How many
    /// ratings were read.
    pub async fn reconcile_ratings(
        &self,
        tokens: &TokenManager,
        template_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, ReconcileError> {
        let mut offset = 0;
        let mut read = 0;
        loop {
            let query = RatingQuery {
                template_id: template_id.to_string(),
                from_time: from.timestamp_millis(),
                to_time: to.timestamp_millis(),
                offset,
                limit: PAGE,
            };
            let page = tokens
                .call(|token| {
                    let query = query.clone();
                    async move { tokens.api().ratings(&token, &query).await }
                })
                .await?;
            let count = page.len();
            for feedback in &page {
                // The same key as the webhook's event, so a rating stored once is not again.
                let key = super::ZaloEvent::UserFeedback(feedback.clone()).dedup_key();
                self.store_feedback(&key, feedback, now).await?;
            }
            read += count;
            if count < PAGE as usize {
                return Ok(read);
            }
            offset += PAGE;
        }
    }
}

/// The window the daily reconciliation looks back over: two days, so a day it missed is caught.
pub const RECONCILE_LOOKBACK: Duration = Duration::days(2);

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Zalo(#[from] ZaloError),
    #[error(transparent)]
    Handle(#[from] ZaloHandleError),
}
