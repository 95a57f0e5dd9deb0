//! A citizen's withdrawal on Telegram: `/xoa`, or the "Xóa câu trả lời" button under the
//! survey's closing message, and the confirmation's two buttons. The rule is the citizens'
//! service's ([`crate::services::citizens::Citizens::withdraw`]).

use super::{HandleError, Handled, Telegram, messages};
use chrono::{DateTime, Utc};
use teloxide::types::CallbackQueryId;

impl Telegram {
    /// `/xoa` or the offer's button: the confirmation with its two buttons.
    pub(super) async fn ask_withdrawal(
        &self,
        inbound: &str,
        chat: i64,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let done = self
            .citizens
            .ask_withdrawal(&self.renderer, &chat.to_string(), inbound, now)
            .await?;
        Ok(self.done(done))
    }

    /// A press of a withdrawal button (`data` is one of `messages::WITHDRAW_*`); `None` when
    /// `data` is not one.
    pub(super) async fn on_withdrawal_button(
        &self,
        inbound: &str,
        chat: i64,
        message_id: i32,
        query: CallbackQueryId,
        data: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Handled>, HandleError> {
        let confirmed = match data {
            messages::WITHDRAW_ASK => {
                let mut handled = self.ask_withdrawal(inbound, chat, now).await?;
                handled.callback_answer = Some((query, None));
                return Ok(Some(handled));
            }
            messages::WITHDRAW_YES => true,
            messages::WITHDRAW_NO => false,
            _ => return Ok(None),
        };
        let done = self
            .citizens
            .withdraw(
                &self.renderer,
                &chat.to_string(),
                inbound,
                confirmed,
                Some(&message_id.to_string()),
                now,
            )
            .await?;
        Ok(Some(Handled {
            callback_answer: Some((query, None)),
            duplicate: done.duplicate,
        }))
    }
}
