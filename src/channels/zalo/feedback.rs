//! Ratings from the rating template ("Đánh giá dịch vụ"): a `user_feedback` event, or an item of
//! the daily reconciliation through the rating query, becomes a response through the same engine
//! as the chat, on a flow with the overall question (the citizens' service picks it:
//! [`crate::services::citizens::rating`]): the stars answer the overall question, the chosen
//! reasons and the note answer the comment, every other question is skipped.
//!
//! The invitation is found by the tracking id (our invitation token) or by the template's
//! message id. A rating for an invitation already completed changes nothing, so the webhook and
//! the reconciliation may both see the same rating. This file only reads Zalo's event into the
//! service's [`Rating`].

use super::api::RatingQuery;
use super::conversation::{Zalo, ZaloHandleError};
use super::errors::ZaloError;
use super::events::Feedback;
use super::token::TokenManager;
use crate::services::citizens::rating::Rating;
use chrono::{DateTime, Duration, Utc};

pub use crate::services::citizens::rating::OVERALL_FACTOR;

/// Ratings read per page of the rating query.
const PAGE: u32 = 100;

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
        let rating = Rating {
            tracking_id: feedback.tracking_id.clone(),
            template_message_id: feedback.msg_id.clone(),
            chat: feedback.user_id.clone(),
            stars: feedback.rate,
            comment: comment(feedback),
        };
        self.citizens
            .store_rating(super::CHANNEL, inbound, &rating, now)
            .await?;
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
