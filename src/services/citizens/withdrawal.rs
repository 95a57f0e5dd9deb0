//! `/cancel` (pause: the answers stay, the link resumes) and the withdrawal: `/xoa`, or the
//! offer under the survey's closing words, asks for a confirmation; "yes" deletes every answer
//! sent from the chat and its link to the dossiers ([`crate::storage::Db::withdraw_chat`]),
//! "no" keeps them.

use super::{CitizenRenderer, Citizens, CitizensError, Done, Notice};
use crate::storage::Effects;
use chrono::{DateTime, Utc};

impl Citizens {
    /// `/cancel`: pauses the survey in progress.
    pub async fn cancel(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        match self.active_session(renderer.channel(), chat).await? {
            Some(session) => {
                let live = super::live::known(&session).map(str::to_string);
                let mut outgoing = vec![renderer.notice(chat, &Notice::Paused, None)];
                if let Some(message) = &live {
                    outgoing.extend(renderer.clear_keyboard(chat, message));
                }
                let fresh = self
                    .record(renderer.channel(), inbound, outgoing, now)
                    .await?;
                if fresh {
                    self.db().pause_session(session.id, now).await?;
                    self.set_live(&session, None).await?;
                }
                Ok(Done::fresh(fresh))
            }
            None => {
                self.reply(renderer, chat, inbound, Notice::NoSurvey, now)
                    .await
            }
        }
    }

    /// `/xoa` or the offer's button: the confirmation with its two buttons.
    pub async fn ask_withdrawal(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let confirm = renderer.withdraw_confirm(chat);
        let fresh = self
            .record(renderer.channel(), inbound, vec![confirm], now)
            .await?;
        Ok(Done::fresh(fresh))
    }

    /// The answer to the confirmation; `pressed` is the confirmation's message (its buttons go).
    pub async fn withdraw(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        confirmed: bool,
        pressed: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let channel = renderer.channel();
        let mut effects = Effects::from_inbound(channel, inbound);
        if let Some(message) = pressed {
            effects
                .outgoing
                .extend(renderer.clear_keyboard(chat, message));
        }
        if !confirmed {
            effects.push(renderer.notice(chat, &Notice::WithdrawKept, None));
            let fresh = self.db().record_effects(&effects, now).await?;
            return Ok(Done::fresh(fresh));
        }
        let db = self.db();
        let notice = if db.chat_has_surveys(channel, chat).await? {
            Notice::WithdrawDone
        } else {
            Notice::WithdrawNothing
        };
        effects.push(renderer.notice(chat, &notice, None));
        let withdrawn = db.withdraw_chat(channel, chat, &effects, now).await?;
        Ok(Done::fresh(withdrawn.is_some()))
    }
}
