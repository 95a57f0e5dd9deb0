//! The invitation template's parameters, as Zalo's template review and its parameter types want
//! them: at least one identifying parameter (the receipt's short code, which names no person and
//! lets the citizen start in the OA chat), name-type parameters of at most 200 characters (the
//! procedure's and the agency's names, cut on a word boundary), a date as `dd/mm/yyyy`. Text is
//! normalised to NFC before it is counted: Zalo counts composed characters, and Vietnamese typed
//! on some keyboards arrives decomposed (a letter and its combining marks).
//!
//! **Unconfirmed**: the parameter names must match those of the template approved for the OA
//! (`sipas-bot zalo check` compares them); they are declared here alone ([`PARAMETERS`]).

use crate::storage::Invitation;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

/// The identifying parameter: the receipt's short code (added when the row is sent, since the
/// code is made after the notice's transaction).
pub const RECEIPT_CODE: &str = "receipt_code";
pub const PROCEDURE_NAME: &str = "procedure_name";
pub const AGENCY_NAME: &str = "agency_name";
pub const COMPLETED_DATE: &str = "completed_date";

/// Every parameter the invitation template is sent with.
pub const PARAMETERS: [&str; 4] = [RECEIPT_CODE, PROCEDURE_NAME, AGENCY_NAME, COMPLETED_DATE];

/// The longest a name-type parameter may be.
pub const MAX_NAME_CHARS: usize = 200;

/// `text` in NFC.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// `text` in NFC with its spaces collapsed, cut to at most `max` characters on a word boundary
/// (a single word longer than `max` is cut where it must be), with "…" marking a cut.
pub fn fit(text: &str, max: usize) -> String {
    let text = nfc(text).split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let keep = max.saturating_sub(1);
    let head: String = text.chars().take(keep).collect();
    let next_is_space = text.chars().nth(keep).is_some_and(char::is_whitespace);
    let cut = if next_is_space {
        head.as_str()
    } else {
        match head.rfind(' ') {
            Some(space) if space > 0 => &head[..space],
            _ => head.as_str(),
        }
    };
    format!("{}…", cut.trim_end())
}

/// The parameters known when the notice is stored; [`with_receipt_code`] adds the identifier.
pub fn template_data(invitation: &Invitation) -> Value {
    json!({
        PROCEDURE_NAME: fit(&invitation.procedure_name, MAX_NAME_CHARS),
        AGENCY_NAME: fit(invitation.agency_label(), MAX_NAME_CHARS),
        COMPLETED_DATE: invitation
            .completed_at
            .with_timezone(&crate::core::clock::vietnam())
            .format("%d/%m/%Y")
            .to_string(),
    })
}

/// `data` with the receipt's short code as its identifying parameter.
pub fn with_receipt_code(mut data: Value, code: &str) -> Value {
    if let Some(fields) = data.as_object_mut() {
        fields.insert(RECEIPT_CODE.to_string(), Value::from(code));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_on_a_word_boundary_after_nfc() {
        assert_eq!(
            fit("Cấp  giấy phép\nxây dựng", 200),
            "Cấp giấy phép xây dựng"
        );
        assert_eq!(fit("Cấp giấy phép xây dựng", 12), "Cấp giấy…");
        assert_eq!(fit("Cấp giấy phép", 9), "Cấp giấy…");
        assert_eq!(fit("Abcdefghijkl", 5), "Abcd…");
        // Decomposed Vietnamese counts as its composed form.
        let decomposed = "Ho\u{0302}\u{0300} so\u{031b}";
        assert_eq!(fit(decomposed, 6), "Hồ sơ");
        assert_eq!(fit(decomposed, 6).chars().count(), 5);
        let long = "từ ".repeat(100);
        let cut = fit(&long, MAX_NAME_CHARS);
        assert!(cut.chars().count() <= MAX_NAME_CHARS, "{cut}");
        assert!(cut.ends_with("từ…"), "{cut}");
    }

    #[test]
    fn the_receipt_code_is_the_identifier() {
        let data = with_receipt_code(json!({"procedure_name": "x"}), "ABCD-EFGH");
        assert_eq!(data[RECEIPT_CODE], "ABCD-EFGH");
    }
}
