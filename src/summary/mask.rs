//! Masks what could identify a citizen in a free-text comment: e-mail addresses, phone numbers
//! and ID numbers (any run of 8 or more digits, spaces, dots or dashes between them allowed).

use regex::Regex;
use std::sync::LazyLock;

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(\.[\w-]+)+").expect("a valid pattern"));
static DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\d(?:[ .\-]?\d){7,}").expect("a valid pattern"));

pub const MASK: &str = "***";

pub fn mask(text: &str) -> String {
    let without_emails = EMAIL.replace_all(text, MASK);
    DIGITS.replace_all(&without_emails, MASK).into_owned()
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn phones_emails_and_id_numbers_are_masked() {
        assert_eq!(
            mask("Gọi tôi 0912 345 678 hoặc +84912345678, mail lan.nguyen@gmail.com"),
            "Gọi tôi *** hoặc ***, mail ***"
        );
        assert_eq!(
            mask("CCCD 001099012345, CMND 123.456.789"),
            "CCCD ***, CMND ***"
        );
    }

    #[test]
    fn ordinary_numbers_stay() {
        assert_eq!(
            mask("Chờ 3 ngày, nộp 50.000 đồng, hồ sơ số 12/2026"),
            "Chờ 3 ngày, nộp 50.000 đồng, hồ sơ số 12/2026"
        );
    }
}
