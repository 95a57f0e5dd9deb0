//! A citizen's withdrawal on Telegram: `/xoa`, or the "Xóa câu trả lời" button under the
//! survey's closing message, asks for a confirmation; "yes" deletes every answer sent from the
//! chat and its link to the dossiers ([`crate::storage::Db::withdraw_chat`]), "no" keeps them.

use super::{CHANNEL, HandleError, Handled, Telegram, messages};
use crate::storage::Effects;
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
        let confirm = messages::text_with_buttons(
            chat,
            self.text("tg-withdraw-confirm", &[]),
            vec![
                (self.text("tg-withdraw-yes", &[]), messages::WITHDRAW_YES),
                (self.text("tg-withdraw-no", &[]), messages::WITHDRAW_NO),
            ],
        );
        let fresh = self.record(inbound, vec![confirm], now).await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
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
        let pressed = |duplicate: bool| Handled {
            callback_answer: Some((query.clone(), None)),
            duplicate,
        };
        match data {
            messages::WITHDRAW_ASK => {
                let mut handled = self.ask_withdrawal(inbound, chat, now).await?;
                handled.callback_answer = Some((query.clone(), None));
                Ok(Some(handled))
            }
            messages::WITHDRAW_NO => {
                let mut effects = Effects::from_inbound(CHANNEL, inbound);
                effects.push(messages::replace_keyboard(chat, message_id, &[]));
                effects.push(messages::text(
                    chat,
                    self.text("tg-withdraw-kept", &[]),
                    None,
                ));
                let fresh = self
                    .conversations
                    .db()
                    .record_effects(&effects, now)
                    .await?;
                Ok(Some(pressed(!fresh)))
            }
            messages::WITHDRAW_YES => {
                let db = self.conversations.db();
                let reply = if db.chat_has_surveys(CHANNEL, &chat.to_string()).await? {
                    "tg-withdraw-done"
                } else {
                    "tg-withdraw-nothing"
                };
                let mut effects = Effects::from_inbound(CHANNEL, inbound);
                effects.push(messages::replace_keyboard(chat, message_id, &[]));
                effects.push(messages::text(chat, self.text(reply, &[]), None));
                let withdrawn = db
                    .withdraw_chat(CHANNEL, &chat.to_string(), &effects, now)
                    .await?;
                Ok(Some(pressed(withdrawn.is_none())))
            }
            _ => Ok(None),
        }
    }
}
