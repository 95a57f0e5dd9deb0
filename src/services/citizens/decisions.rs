//! The invitation's own choices besides "start": "Để sau" (later), with its one reminder outside
//! the quiet hours, and "Không tham gia" (decline); and the sending of due reminders, each
//! through its chat's channel.

use super::{CitizenRenderer, Citizens, CitizensError, Done, Notice, binding};
use crate::core::clock::{outside_quiet_hours, vietnam};
use crate::core::i18n;
use crate::storage::{Effects, InvitationStatus, Reminder, ReminderStatus};
use chrono::{DateTime, Utc};

/// What the citizen chose on the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Later,
    Decline,
}

impl Citizens {
    /// "Để sau" or "Không tham gia" on invitation `token`; `pressed` is the invitation message
    /// (its buttons go). A choice on an invitation already begun, answered, withdrawn or expired
    /// changes nothing and says so on the press.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        token: &str,
        decision: Decision,
        pressed: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let channel = renderer.channel();
        let db = self.db();
        let Some(invitation) = db.invitation(token).await? else {
            return self
                .reply(renderer, chat, inbound, Notice::Unknown, now)
                .await;
        };
        if !binding::may_open(&invitation, channel, chat) {
            return self
                .reply(renderer, chat, inbound, Notice::NotYours, now)
                .await;
        }
        let decided = matches!(
            invitation.status,
            InvitationStatus::Started | InvitationStatus::Completed | InvitationStatus::Withdrawn
        );
        if decided || invitation.is_expired(now) {
            let mut outgoing = Vec::new();
            let toast = Citizens::toast(renderer, chat, Notice::StaleButton, &mut outgoing);
            let fresh = self.record(channel, inbound, outgoing, now).await?;
            return Ok(Done {
                toast,
                duplicate: !fresh,
            });
        }
        let mut effects = Effects::from_inbound(channel, inbound);
        if let Some(message) = pressed {
            effects
                .outgoing
                .extend(renderer.clear_keyboard(chat, message));
        }
        let (status, reminder) = match decision {
            Decision::Later => {
                let due = outside_quiet_hours(now + self.reminder_delay);
                let already = db.reminder(token).await?.is_some();
                let notice = if already || due >= invitation.expires_at {
                    Notice::LaterNoReminder
                } else {
                    let local = due.with_timezone(&vietnam());
                    Notice::LaterAck {
                        time: local.format("%H:%M").to_string(),
                        date: i18n::date(local.date_naive(), self.lang),
                    }
                };
                effects.push(renderer.notice(chat, &notice, Some(token)));
                let reminder = (due < invitation.expires_at).then(|| Reminder {
                    invitation_token: token.to_string(),
                    channel: channel.to_string(),
                    chat_id: chat.to_string(),
                    due_at: due,
                });
                (InvitationStatus::Postponed, reminder)
            }
            Decision::Decline => {
                effects.push(renderer.notice(chat, &Notice::DeclineAck, None));
                (InvitationStatus::Declined, None)
            }
        };
        let fresh = db
            .decide_invitation(token, status, reminder.as_ref(), &effects, now)
            .await?;
        Ok(Done::fresh(fresh))
    }

    /// Sends, through `renderer`, the reminder of every invitation of its channel whose "Để
    /// sau" time has come, once; a reminder no longer wanted (answered, declined, expired) or
    /// that the channel cannot deliver now (Zalo's window) is dropped. How many were sent.
    pub async fn send_due_reminders(
        &self,
        renderer: &dyn CitizenRenderer,
        now: DateTime<Utc>,
    ) -> Result<usize, CitizensError> {
        let db = self.db();
        let mut sent = 0;
        for reminder in db.due_reminders(renderer.channel(), now).await? {
            // The quiet hours apply at sending time too: a reminder found late waits.
            if outside_quiet_hours(now) != now {
                continue;
            }
            let invitation = db.invitation(&reminder.invitation_token).await?;
            let wanted = invitation.filter(|i| {
                matches!(
                    i.status,
                    InvitationStatus::Postponed | InvitationStatus::Pending
                ) && !i.is_expired(now)
            });
            let row = match &wanted {
                Some(invitation) => {
                    renderer
                        .reminder(&reminder.chat_id, invitation, now)
                        .await?
                }
                None => None,
            };
            let (status, effects) = match row {
                Some(row) => (
                    ReminderStatus::Sent,
                    Effects {
                        inbound: None,
                        outgoing: vec![row],
                    },
                ),
                None => (ReminderStatus::Skipped, Effects::default()),
            };
            if db
                .finish_reminder(&reminder.invitation_token, status, &effects, now)
                .await?
                && status == ReminderStatus::Sent
            {
                sent += 1;
            }
        }
        Ok(sent)
    }
}
