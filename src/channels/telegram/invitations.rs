//! Invitations on Telegram: the invitation message's own buttons (Bắt đầu / Để sau / Không
//! tham gia), the reminder of a postponed invitation when its time comes, and the invitation a
//! notice sends to a citizen who already talks to the bot.

use super::{CHANNEL, HandleError, Handled, Telegram, messages};
use crate::core::clock::outside_quiet_hours;
use crate::core::i18n;
use crate::storage::{Effects, InvitationStatus, Outgoing, Reminder, ReminderStatus};
use chrono::{DateTime, Utc};
use teloxide::types::CallbackQueryId;

impl Telegram {
    pub(super) async fn on_invitation_button(
        &self,
        inbound: &str,
        chat: i64,
        message_id: i32,
        action: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let db = self.conversations.db();
        let notice = |text: String, duplicate: bool| Handled {
            callback_answer: Some((CallbackQueryId(String::new()), Some(text))),
            duplicate,
        };
        let Some(invitation) = db.invitation(token).await? else {
            return self.reply(inbound, chat, "invitation-unknown", now).await;
        };
        if super::citizens::addressed_elsewhere(&invitation, chat) {
            return self.reply(inbound, chat, "invitation-not-yours", now).await;
        }
        if action == messages::INVITE_START {
            return self
                .begin(inbound, chat, token, Some(message_id), now)
                .await;
        }
        let decided = matches!(
            invitation.status,
            InvitationStatus::Started | InvitationStatus::Completed | InvitationStatus::Withdrawn
        );
        if decided || invitation.is_expired(now) {
            let fresh = self.record(inbound, Vec::new(), now).await?;
            return Ok(notice(self.text("tg-stale-button", &[]), !fresh));
        }
        let mut effects = Effects::from_inbound(CHANNEL, inbound);
        effects.push(messages::replace_keyboard(chat, message_id, &[]));
        let (status, reminder) = if action == messages::INVITE_LATER {
            let due = outside_quiet_hours(now + self.reminder_delay);
            let already = db.reminder(token).await?.is_some();
            let text = if already || due >= invitation.expires_at {
                self.text("tg-later-no-reminder", &[])
            } else {
                let local = due.with_timezone(&crate::core::clock::vietnam());
                self.text(
                    "tg-later-ack",
                    &[
                        ("time", local.format("%H:%M").to_string()),
                        ("date", i18n::date(local.date_naive(), self.lang)),
                    ],
                )
            };
            effects.push(messages::text(chat, text, Some(token)));
            let reminder = (due < invitation.expires_at).then(|| Reminder {
                invitation_token: token.to_string(),
                channel: CHANNEL.to_string(),
                chat_id: chat.to_string(),
                due_at: due,
            });
            (InvitationStatus::Postponed, reminder)
        } else {
            effects.push(messages::text(chat, self.text("tg-decline-ack", &[]), None));
            (InvitationStatus::Declined, None)
        };
        let fresh = db
            .decide_invitation(token, status, reminder.as_ref(), &effects, now)
            .await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    /// Sends the reminder of every invitation whose "Để sau" time has come, once.
    pub async fn send_due_reminders(&self, now: DateTime<Utc>) -> Result<usize, HandleError> {
        let db = self.conversations.db();
        let mut sent = 0;
        for reminder in db.due_reminders(CHANNEL, now).await? {
            let Ok(chat) = reminder.chat_id.parse::<i64>() else {
                continue;
            };
            let invitation = db.invitation(&reminder.invitation_token).await?;
            let still_wanted = invitation.as_ref().is_some_and(|i| {
                matches!(
                    i.status,
                    InvitationStatus::Postponed | InvitationStatus::Pending
                ) && !i.is_expired(now)
            });
            let (status, effects) = match (&invitation, still_wanted) {
                (Some(invitation), true) => {
                    // The quiet hours apply at sending time too: a reminder found late waits.
                    if outside_quiet_hours(now) != now {
                        continue;
                    }
                    let message = messages::invitation(
                        &self.locales,
                        self.lang,
                        chat,
                        invitation,
                        "tg-reminder",
                    );
                    (
                        ReminderStatus::Sent,
                        Effects {
                            inbound: None,
                            outgoing: vec![message],
                        },
                    )
                }
                _ => (ReminderStatus::Skipped, Effects::default()),
            };
            if db
                .finish_reminder(&reminder.invitation_token, status, &effects, now)
                .await?
                && status == ReminderStatus::Sent
            {
                sent += 1;
            }
        }
        if sent > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(sent)
    }

    /// The invitation message for a notice whose citizen already talks to us.
    pub fn notice_message(&self, invitation: &crate::storage::Invitation, chat: i64) -> Outgoing {
        messages::invitation(&self.locales, self.lang, chat, invitation, "tg-notice")
    }
}
