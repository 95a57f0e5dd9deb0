//! Dossiers belong to the tenant that posted them. A dossier code is unique within the agency
//! tree (the notices' key); a second notice for a stored code is answered only to a client whose
//! scope covers the stored dossier's agency, and only when it says the same thing. Pure: the
//! API reads the stored invitation and asks the scope question; this module decides.

use crate::storage::{Invitation, NewNotice, parse_timestamp, timestamp};

/// What a notice for a stored dossier code gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repost {
    /// The same content from a client that may see the dossier: the same invitation again.
    Same,
    /// A client that may see the dossier, with content that differs in these fields: 409,
    /// nothing changes.
    Differs(Vec<&'static str>),
    /// A client whose scope does not cover the stored dossier's agency: 409 `dossier_exists`,
    /// with no invitation data.
    Foreign,
}

/// Decides the answer to `posted` when `stored` already holds its dossier code; `covers` says
/// whether the posting client's scope covers the stored dossier's agency (the shared
/// `INTAKE_TOKEN` and a client of every agency cover all).
pub fn repost(stored: &Invitation, posted: &NewNotice, covers: bool) -> Repost {
    if !covers {
        return Repost::Foreign;
    }
    let differing = differing_fields(stored, posted);
    match differing.is_empty() {
        true => Repost::Same,
        false => Repost::Differs(differing),
    }
}

/// The notice fields in which `posted` differs from the stored dossier, by their JSON names.
/// Times compare at the second, as they are stored.
pub fn differing_fields(stored: &Invitation, posted: &NewNotice) -> Vec<&'static str> {
    let completed_posted = parse_timestamp(&timestamp(posted.completed_at)).ok();
    let mut fields = Vec::new();
    for (field, same) in [
        ("agency_code", stored.agency_code == posted.agency_code),
        (
            "procedure_code",
            stored.procedure_code == posted.procedure_code,
        ),
        (
            "procedure_name",
            stored.procedure_name == posted.procedure_name,
        ),
        (
            "submission_channel",
            stored.submission_channel == posted.submission_channel,
        ),
        (
            "completed_at",
            Some(stored.completed_at) == completed_posted,
        ),
        (
            "recipient.telegram_chat_id",
            stored.recipient_chat_id == posted.recipient_chat_id,
        ),
    ] {
        if !same {
            fields.push(field);
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{InvitationStatus, SubmissionChannel};
    use chrono::{TimeZone, Utc};

    fn stored() -> Invitation {
        Invitation {
            token: "t".into(),
            flow_version_id: 1,
            status: InvitationStatus::Pending,
            expires_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            dossier_code: "HS-1".into(),
            agency_code: "T14".into(),
            agency_name: None,
            unknown_agency: false,
            procedure_code: "P".into(),
            procedure_name: "Khai sinh".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at: Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap(),
            recipient_chat_id: Some("111".into()),
            recipient_zalo_user_id: None,
            recipient_by_phone: false,
        }
    }

    fn posted() -> NewNotice {
        NewNotice {
            dossier_code: "HS-1".into(),
            agency_code: "T14".into(),
            procedure_code: "P".into(),
            procedure_name: "Khai sinh".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at: Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap()
                + chrono::Duration::milliseconds(400),
            recipient_chat_id: Some("111".into()),
        }
    }

    #[test]
    fn the_same_content_is_the_same_invitation_and_any_change_is_named() {
        assert_eq!(repost(&stored(), &posted(), true), Repost::Same);
        let mut changed = posted();
        changed.agency_code = "T14.H02".into();
        changed.procedure_name = "Khai tử".into();
        changed.recipient_chat_id = None;
        assert_eq!(
            repost(&stored(), &changed, true),
            Repost::Differs(vec![
                "agency_code",
                "procedure_name",
                "recipient.telegram_chat_id"
            ])
        );
    }

    #[test]
    fn a_client_outside_the_dossier_learns_only_that_it_exists() {
        assert_eq!(repost(&stored(), &posted(), false), Repost::Foreign);
    }
}
