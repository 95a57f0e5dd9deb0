//! What a notice may carry: intake content is data, not a message. A one-stop system names a
//! dossier and a procedure; the invitation's words are ours. So `procedure_name` (the only free
//! text a client sends that a citizen reads) is short, carries no link, mention or control or
//! bidi character, and is rendered as plain text (no parse mode on Telegram, a template field on
//! Zalo); codes are printable ASCII without spaces, so they cannot forge a log line or hide a
//! character; `completed_at` lies between 2000 and a day ahead. Pure: the caller gives `now`.

use super::FieldError;
use crate::storage::NewNotice;
use chrono::{DateTime, Duration, TimeZone, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// The longest procedure name we accept, in characters (the national list's longest is ~180).
pub const MAX_PROCEDURE_NAME: usize = 200;

/// A link in any form a chat app turns into one: a scheme, `www.`, a domain-like word
/// (`t.me/x`, `bit.ly`) or a mention (`@someone`).
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(://|www\.|[a-z0-9-]+\.[a-z]{2,}\b|@[a-z0-9_]{2,})").expect("valid regex")
});

/// Every rule a stored notice must meet, each broken one named; `Ok` when all hold.
pub fn check(notice: &NewNotice, now: DateTime<Utc>) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, reason: &'static str| {
        errors.push(FieldError {
            field: field.into(),
            reason,
        })
    };
    for (field, code) in [
        ("dossier_code", &notice.dossier_code),
        ("agency_code", &notice.agency_code),
    ] {
        if !is_code(code) {
            refuse(field, "intake-error-code-chars");
        }
    }
    if has_hidden_characters(&notice.procedure_code) {
        refuse("procedure_code", "intake-error-hidden-chars");
    }
    let name = &notice.procedure_name;
    if name.chars().count() > MAX_PROCEDURE_NAME {
        refuse("procedure_name", "intake-error-name-too-long");
    } else if has_hidden_characters(name) {
        refuse("procedure_name", "intake-error-hidden-chars");
    } else if LINK.is_match(name) {
        refuse("procedure_name", "intake-error-name-link");
    }
    let earliest = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
    if Some(notice.completed_at) < earliest || notice.completed_at > now + Duration::days(1) {
        refuse("completed_at", "intake-error-time-range");
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

/// A code: printable ASCII, no space (so no newline, no look-alike letter, no control
/// character in a log line or a CSV cell).
pub fn is_code(code: &str) -> bool {
    !code.is_empty() && code.chars().all(|c| c.is_ascii_graphic())
}

/// Control characters (newlines included), the Unicode line and paragraph separators, the
/// byte-order mark and the bidi controls that reorder what is shown.
pub fn has_hidden_characters(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{200E}'
                    | '\u{200F}'
                    | '\u{061C}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{FEFF}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SubmissionChannel;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap()
    }

    fn notice() -> NewNotice {
        NewNotice {
            dossier_code: "000.00.14.H02-261116-0001".into(),
            agency_code: "T14.H02".into(),
            procedure_code: "1.001612".into(),
            procedure_name: "Đăng ký khai sinh (Nghị định 123/2015/NĐ-CP), v.v.".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at: now(),
            recipient_chat_id: None,
        }
    }

    fn refused(notice: &NewNotice) -> Vec<(String, &'static str)> {
        match check(notice, now()) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.reason)).collect(),
        }
    }

    #[test]
    fn an_ordinary_notice_passes() {
        assert_eq!(refused(&notice()), []);
    }

    #[test]
    fn links_and_mentions_in_the_procedure_name_are_refused() {
        for name in [
            "Khai sinh https://evil.example",
            "Khai sinh, xem t.me/khaisinh",
            "Nhận tiền tại bit.ly/abc",
            "Khai sinh www.x",
            "Liên hệ @scam_bot",
        ] {
            let mut n = notice();
            n.procedure_name = name.into();
            assert_eq!(
                refused(&n),
                [("procedure_name".to_string(), "intake-error-name-link")],
                "{name}"
            );
        }
    }

    #[test]
    fn long_names_hidden_characters_and_bad_codes_are_named() {
        let mut n = notice();
        n.procedure_name = "a".repeat(201);
        n.dossier_code = "HS 1".into();
        n.agency_code = "T14\nINFO forged".into();
        n.procedure_code = "P\u{202E}1".into();
        assert_eq!(
            refused(&n),
            [
                ("dossier_code".to_string(), "intake-error-code-chars"),
                ("agency_code".to_string(), "intake-error-code-chars"),
                ("procedure_code".to_string(), "intake-error-hidden-chars"),
                ("procedure_name".to_string(), "intake-error-name-too-long"),
            ]
        );
        n = notice();
        n.procedure_name = "Khai\u{2028}sinh".into();
        n.agency_code = "Tỉnh".into();
        assert_eq!(
            refused(&n),
            [
                ("agency_code".to_string(), "intake-error-code-chars"),
                ("procedure_name".to_string(), "intake-error-hidden-chars"),
            ]
        );
        // A bidi isolate that would reorder the name on screen.
        n = notice();
        n.procedure_name = "Khai\u{2067}sinh".into();
        assert_eq!(
            refused(&n),
            [("procedure_name".to_string(), "intake-error-hidden-chars")]
        );
    }

    #[test]
    fn completion_lies_between_2000_and_a_day_ahead() {
        for (at, ok) in [
            (
                Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
                false,
            ),
            (Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(), true),
            (now() + Duration::hours(23), true),
            (now() + Duration::hours(25), false),
        ] {
            let mut n = notice();
            n.completed_at = at;
            assert_eq!(refused(&n).is_empty(), ok, "{at}");
        }
    }
}
