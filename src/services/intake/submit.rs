//! Submitting a notice: the notice, its invitation, the invitation's receipt code and the
//! invitation rows of every channel that reaches a recipient it names, in one transaction.
//! Which channels run is given as their renderers; intake knows none of them.

use super::{FieldError, ParsedNotice, content};
use crate::services::citizens::{CitizenRenderer, Recipient};
use crate::storage::{Db, Effects, NoticeOutcome, StorageError, ZaloNotice};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// What submitting a notice did, and the receipt code to print when a channel takes codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub outcome: NoticeOutcome,
    pub receipt_code: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeFailure {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("unknown flow {0}")]
    UnknownFlow(String),
    /// The notice breaks a content rule (`content.rs`): each field named.
    #[error("invalid notice content")]
    Invalid(Vec<FieldError>),
}

/// Stores a notice and its invitation. Each recipient the notice names on a running channel
/// (one of `channels`) binds the invitation and is invited in the same transaction — a chat the
/// channel may write to only once the citizen wrote first (Telegram) only when we know it. A
/// recipient on a channel that does not run is dropped. When a running channel takes receipt
/// codes, the invitation's code is made in that transaction too.
pub async fn submit(
    db: &Db,
    channels: &[&dyn CitizenRenderer],
    flow_id: &str,
    valid_for: Duration,
    parsed: &ParsedNotice,
    now: DateTime<Utc>,
) -> Result<Submitted, IntakeFailure> {
    let notice = &parsed.notice;
    content::check(notice, now).map_err(IntakeFailure::Invalid)?;
    // The flow assigned to the agency's subtree (or to all agencies), else the configured one;
    // its version in force now is the one this invitation keeps.
    let flow_id = db.flow_for_agency(&notice.agency_code, flow_id).await?;
    let flow = db
        .latest_flow(&flow_id)
        .await?
        .ok_or_else(|| IntakeFailure::UnknownFlow(flow_id.clone()))?;
    let renderer = |recipient: &Recipient| {
        channels
            .iter()
            .copied()
            .find(|channel| channel.channel() == recipient.channel())
    };
    let mut invited: Vec<(&dyn CitizenRenderer, Recipient)> = Vec::new();
    for recipient in parsed.recipients() {
        let Some(channel) = renderer(&recipient) else {
            continue;
        };
        let reachable = match (channel.needs_known_chat(), recipient.chat()) {
            (true, Some(chat)) => db.knows_chat(channel.channel(), chat).await?,
            (true, None) => false,
            (false, _) => true,
        };
        if reachable {
            invited.push((channel, recipient));
        }
    }
    // The Zalo recipient binds only when Zalo runs (the Telegram chat is the notice's own).
    let zalo = parsed.zalo.as_ref().filter(|r| renderer(r).is_some());
    let zalo_notice = ZaloNotice {
        user_id: match zalo {
            Some(Recipient::ZaloUser(user)) => Some(user.clone()),
            _ => None,
        },
        by_phone: matches!(zalo, Some(Recipient::Phone(_))),
        receipt_code: channels.iter().any(|channel| channel.receipt_codes()),
    };
    let outcome = db
        .submit_bound_notice(
            notice,
            &zalo_notice,
            flow.id,
            valid_for,
            now,
            |invitation| {
                let mut effects = Effects::default();
                for (channel, recipient) in &invited {
                    effects.push(channel.notice_invitation(invitation, recipient));
                }
                effects
            },
        )
        .await?;
    if matches!(outcome, NoticeOutcome::Created(_)) {
        let woken: BTreeSet<&str> = invited.iter().map(|(c, _)| c.channel()).collect();
        for channel in channels.iter().filter(|c| woken.contains(c.channel())) {
            channel.wake();
        }
    }
    let receipt_code = match zalo_notice.receipt_code {
        false => None,
        true => {
            let invitation = outcome.invitation();
            match db.receipt_code(&invitation.token).await? {
                Some(code) => Some(code),
                // A notice stored before codes were taken: its code is made now.
                None => Some(
                    db.create_receipt_code(&invitation.token, invitation.expires_at, now)
                        .await?,
                ),
            }
        }
    };
    Ok(Submitted {
        outcome,
        receipt_code,
    })
}
