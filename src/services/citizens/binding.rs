//! The recipient binding, pure: a notice that names its citizen (a Telegram chat, a Zalo
//! follower, a phone number reached through Zalo's template) binds the invitation to that
//! recipient, so whoever prints or sees the receipt cannot answer in the citizen's place.

use crate::storage::Invitation;

/// The channel names the binding knows (the same strings the channels store).
pub const TELEGRAM: &str = "telegram";
pub const ZALO: &str = "zalo";

/// Whether the notice named anybody at all.
pub fn is_bound(invitation: &Invitation) -> bool {
    invitation.recipient_chat_id.is_some()
        || invitation.recipient_zalo_user_id.is_some()
        || invitation.recipient_by_phone
}

/// Whether `chat` on `channel` may open `invitation`: anyone when the notice named nobody;
/// else only a recipient it named. A phone number is reached through Zalo, whose template by
/// phone carries the invitation: any Zalo user may open it (the first one then holds it, as a
/// receipt code or a session is held), nobody on another channel.
pub fn may_open(invitation: &Invitation, channel: &str, chat: &str) -> bool {
    if !is_bound(invitation) {
        return true;
    }
    match channel {
        TELEGRAM => invitation.recipient_chat_id.as_deref() == Some(chat),
        ZALO => {
            invitation.recipient_zalo_user_id.as_deref() == Some(chat)
                || (invitation.recipient_by_phone && invitation.recipient_zalo_user_id.is_none())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{InvitationStatus, SubmissionChannel};
    use chrono::Utc;

    fn invitation(chat: Option<&str>, zalo: Option<&str>, by_phone: bool) -> Invitation {
        Invitation {
            token: "t".into(),
            flow_version_id: 1,
            status: InvitationStatus::Pending,
            expires_at: Utc::now(),
            dossier_code: "H".into(),
            agency_code: "A".into(),
            agency_name: None,
            unknown_agency: false,
            procedure_code: "P".into(),
            procedure_name: "p".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at: Utc::now(),
            recipient_chat_id: chat.map(str::to_string),
            recipient_zalo_user_id: zalo.map(str::to_string),
            recipient_by_phone: by_phone,
        }
    }

    #[test]
    fn only_the_named_recipient_may_open() {
        let open = invitation(None, None, false);
        assert!(may_open(&open, TELEGRAM, "1") && may_open(&open, ZALO, "2"));
        let telegram = invitation(Some("1"), None, false);
        assert!(may_open(&telegram, TELEGRAM, "1"));
        assert!(!may_open(&telegram, TELEGRAM, "9"));
        assert!(!may_open(&telegram, ZALO, "1"));
        let zalo = invitation(None, Some("2"), false);
        assert!(may_open(&zalo, ZALO, "2"));
        assert!(!may_open(&zalo, ZALO, "3"));
        assert!(!may_open(&zalo, TELEGRAM, "2"));
        let phone = invitation(None, None, true);
        assert!(may_open(&phone, ZALO, "4"));
        assert!(!may_open(&phone, TELEGRAM, "4"));
        let both = invitation(Some("1"), Some("2"), false);
        assert!(may_open(&both, TELEGRAM, "1") && may_open(&both, ZALO, "2"));
        assert!(!may_open(&both, ZALO, "1"));
    }
}
