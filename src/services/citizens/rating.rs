//! Ratings from a rating template (Zalo's "Đánh giá dịch vụ": stars, reasons, a note) never lose
//! their stars. A rating is stored as a response on a flow that has the overall question: the
//! invitation's own flow when it has one (the short flow), else the shipped one-question rating
//! flow [`RATING_FLOW`] in force, whatever flow the agency uses (the full flow has no overall
//! question, and the stars used to be dropped there). Its other questions are skipped, so it
//! counts for "Đánh giá chung" (the overall question) and in no factor's index.

use super::Citizens;
use crate::core::flow::{Flow, QuestionKind};
use crate::services::conversation::Opened;
use crate::storage::{SessionOpenError, StorageError};
use chrono::{DateTime, Utc};

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
