//! The dossier an invitation is about, as every channel shows it: the procedure, the agency and
//! the day it was completed, that day taken in Asia/Ho_Chi_Minh (a dossier completed at 06:30
//! Vietnam time is 23:30 UTC the day before). Written once, for the terminal, Telegram and Zalo.

use super::InvitationLead;
use crate::core::clock::vietnam;
use crate::core::flow::Lang;
use crate::core::i18n::{self, Locales};
use crate::storage::Invitation;
use chrono::NaiveDate;

/// The day the dossier was completed, in Vietnam.
pub fn completed_day(invitation: &Invitation) -> NaiveDate {
    invitation
        .completed_at
        .with_timezone(&vietnam())
        .date_naive()
}

/// The day as the citizen reads it (`16/11/2026`).
pub fn completed_date(invitation: &Invitation, lang: Lang) -> String {
    i18n::date(completed_day(invitation), lang)
}

/// "Hồ sơ “…” tại … đã hoàn thành ngày …".
pub fn dossier_line(locales: &Locales, lang: Lang, invitation: &Invitation) -> String {
    locales.text(lang, "invitation-dossier", &dossier_args(invitation, lang))
}

/// The invitation's text, the same in every channel: its lead (a link opened, our notice, a
/// reminder), the dossier line, then the short polite request.
pub fn invitation_text(
    locales: &Locales,
    lang: Lang,
    invitation: &Invitation,
    lead: InvitationLead,
) -> String {
    let lead_id = match lead {
        InvitationLead::Opened => "tg-invitation-opened",
        InvitationLead::Notice => "tg-notice",
        InvitationLead::Reminder => "tg-reminder",
    };
    format!(
        "{}\n\n{}\n\n{}",
        locales.text(lang, lead_id, &[]),
        dossier_line(locales, lang, invitation),
        locales.text(lang, "tg-invitation-ask", &[])
    )
}

/// The arguments every invitation text takes: `procedure`, `agency`, `date`.
pub fn dossier_args(invitation: &Invitation, lang: Lang) -> Vec<(&'static str, String)> {
    vec![
        ("procedure", invitation.procedure_name.clone()),
        ("agency", invitation.agency_label().to_string()),
        ("date", completed_date(invitation, lang)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{InvitationStatus, SubmissionChannel};
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_dossier_completed_at_dawn_in_vietnam_shows_that_day() {
        // 06:30 on 17 November in Vietnam is 23:30 on the 16th in UTC.
        let completed_at = Utc.with_ymd_and_hms(2026, 11, 16, 23, 30, 0).unwrap();
        let invitation = Invitation {
            token: "t".into(),
            flow_version_id: 1,
            status: InvitationStatus::Pending,
            expires_at: completed_at,
            dossier_code: "H".into(),
            agency_code: "A".into(),
            agency_name: None,
            unknown_agency: false,
            procedure_code: "P".into(),
            procedure_name: "p".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at,
            recipient_chat_id: None,
            recipient_zalo_user_id: None,
            recipient_by_phone: false,
        };
        assert_eq!(completed_date(&invitation, Lang::Vi), "17/11/2026");
    }
}
