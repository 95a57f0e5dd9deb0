//! Masks what could identify a citizen in a free-text comment before officials or exports see
//! it: e-mail addresses (also written `[at]`, `(dot)` or with spaces around `@`), phone numbers
//! and ID numbers (any run of 8 or more digits, with spaces, non-breaking spaces, dots, dashes or
//! brackets between them), passport numbers (`C1234567`) and dossier codes
//! (`000.00.12.H56-261122-0001`, which the agency can trace back to the citizen).
//!
//! Some long numbers identify nobody and are kept, because a comment about a fee or a date is
//! useless without them: money amounts followed by their unit (`10.000.000 đồng`, `500.000đ`),
//! dates (`12.11.2026`, `12/11/2026`, `2026-11-12`) and ranges of years (`2025-2026`).
//! The examples that must hold are the table in the tests below.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// One pattern, alternatives tried in this order at each position (leftmost-first), so that a
/// date or an amount is recognised as a whole before its digits can be taken for an ID number.
/// `H` is horizontal space, non-breaking ones included.
static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    let h = r"[\p{Zs}\t]";
    let email = format!(
        r"[\w.+-]+{h}*(?:@|＠|[\[(]{h}*(?i:at){h}*[\])]){h}*[A-Za-z0-9-]+(?:(?:\.|{h}*[\[(]{h}*(?i:dot){h}*[\])]{h}*)[A-Za-z0-9-]+)+"
    );
    let dossier = r"\b(?:[0-9A-Za-z]+\.)*[0-9A-Za-z]+-\d{6}-\d{4}\b";
    let date = r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})\b";
    let years = format!(r"\b(?:19|20)\d\d{h}*[-–]{h}*(?:19|20)\d\d\b");
    let money =
        format!(r"(?:\d{{1,3}}(?:[.,]\d{{3}})+|\d+)(?:,\d+)?{h}*(?i:đồng|vnđ|vnd|dong|đ|d)\b");
    let passport = r"\b[A-Za-z]{1,2}\d{7}\b";
    let digits = format!(r"\+?\(?\d(?:(?:{h}*[.\-–()]{h}*|{h}+)?\d){{7,}}");
    Regex::new(&format!(
        "(?P<email>{email})|(?P<dossier>{dossier})|(?P<keep>{date}|{years}|{money})|(?P<passport>{passport})|(?P<digits>{digits})"
    ))
    .expect("a valid pattern")
});

pub const MASK: &str = "***";

pub fn mask(text: &str) -> String {
    PATTERN
        .replace_all(text, |caps: &Captures| {
            if caps.name("keep").is_some() {
                caps[0].to_string()
            } else {
                MASK.to_string()
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::{MASK, mask};

    /// Each row: a comment as typed, and what officials and exports may see of it.
    const TABLE: &[(&str, &str)] = &[
        // Phone numbers, as people type them.
        ("Gọi tôi 0912345678", "Gọi tôi ***"),
        ("Gọi tôi 0912 345 678", "Gọi tôi ***"),
        ("Gọi tôi 0912.345.678", "Gọi tôi ***"),
        ("Gọi tôi 0912-345-678", "Gọi tôi ***"),
        ("Gọi tôi 0912 - 345 - 678 nhé", "Gọi tôi *** nhé"),
        ("Gọi tôi 0912 – 345 – 678", "Gọi tôi ***"),
        ("Số của tôi: +84 912 345 678.", "Số của tôi: ***."),
        ("Số của tôi +84912345678", "Số của tôi ***"),
        ("Zalo 84912345678", "Zalo ***"),
        ("Gọi 0912\u{a0}345\u{a0}678 giúp", "Gọi *** giúp"),
        ("Gọi 0912\u{202f}345\u{202f}678", "Gọi ***"),
        ("Máy bàn (024) 3826 1234", "Máy bàn ***"),
        ("Máy bàn 024.3826.1234", "Máy bàn ***"),
        ("ĐT:0987654321, cảm ơn", "ĐT:***, cảm ơn"),
        ("SĐT 0912 345 678 và 0987 654 321", "SĐT *** và ***"),
        // Identity numbers.
        ("CCCD 001099012345", "CCCD ***"),
        ("CCCD 001 099 012 345", "CCCD ***"),
        ("CCCD: 001.099.012.345", "CCCD: ***"),
        ("CMND 123456789", "CMND ***"),
        ("CMND 123.456.789", "CMND ***"),
        ("CMND 123 456 789 cấp năm 2010", "CMND *** cấp năm 2010"),
        ("Hộ chiếu C1234567 hết hạn", "Hộ chiếu *** hết hạn"),
        ("hộ chiếu số b7654321", "hộ chiếu số ***"),
        // E-mails, also in the forms used to dodge filters.
        ("mail lan.nguyen@gmail.com", "mail ***"),
        ("Mail: LAN.NGUYEN@GMAIL.COM.", "Mail: ***."),
        ("mail lan.nguyen @ gmail.com nhé", "mail *** nhé"),
        ("mail lan.nguyen[at]gmail.com", "mail ***"),
        ("mail lan.nguyen (at) gmail (dot) com", "mail ***"),
        ("mail lan_nguyen+sipas@mail.hanoi.gov.vn", "mail ***"),
        ("mail <nguyễn.lan@yahoo.com.vn>", "mail <***>"),
        ("mail lan＠gmail.com", "mail ***"),
        // Dossier codes lead back to the citizen.
        ("Hồ sơ 000.00.12.H56-261122-0001 bị trễ", "Hồ sơ *** bị trễ"),
        ("Mã hồ sơ H56.22-261122-0015.", "Mã hồ sơ ***."),
        // Money amounts stay: the comment is about the fee.
        ("Phải nộp 10.000.000 đồng", "Phải nộp 10.000.000 đồng"),
        ("Lệ phí 500.000đ là quá cao", "Lệ phí 500.000đ là quá cao"),
        (
            "Bị đòi 12.500.000đ ngoài lệ phí",
            "Bị đòi 12.500.000đ ngoài lệ phí",
        ),
        ("Tốn 15.000.000 VNĐ", "Tốn 15.000.000 VNĐ"),
        ("Tốn 15,000,000 VND", "Tốn 15,000,000 VND"),
        ("Mất 20000000 đồng", "Mất 20000000 đồng"),
        ("Phí 1.200.000 d/lần", "Phí 1.200.000 d/lần"),
        // Dates and years stay.
        (
            "Hẹn ngày 12.11.2026 mà chưa có",
            "Hẹn ngày 12.11.2026 mà chưa có",
        ),
        ("Hẹn ngày 12/11/2026", "Hẹn ngày 12/11/2026"),
        (
            "Nộp 01-11-2026, nhận 12-11-2026",
            "Nộp 01-11-2026, nhận 12-11-2026",
        ),
        ("Ngày 2026-11-12", "Ngày 2026-11-12"),
        ("Năm học 2025-2026", "Năm học 2025-2026"),
        ("Năm học 2025 – 2026", "Năm học 2025 – 2026"),
        // Ordinary numbers stay.
        ("Chờ 3 ngày, nộp 50.000 đồng", "Chờ 3 ngày, nộp 50.000 đồng"),
        ("Hồ sơ số 12/2026", "Hồ sơ số 12/2026"),
        ("Hài lòng 84,39%", "Hài lòng 84,39%"),
        (
            "Chờ 10 - 15 ngày, từ 8h00-11h30",
            "Chờ 10 - 15 ngày, từ 8h00-11h30",
        ),
        ("Quầy số 3, tầng 2", "Quầy số 3, tầng 2"),
        ("Tổng đài 1022 trả lời nhanh", "Tổng đài 1022 trả lời nhanh"),
        ("Rất hài lòng!", "Rất hài lòng!"),
    ];

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

    #[test]
    fn the_masking_table_holds() {
        assert!(TABLE.len() >= 40);
        let wrong: Vec<String> = TABLE
            .iter()
            .filter(|(input, expected)| mask(input) != *expected)
            .map(|(input, expected)| format!("{input:?}: got {:?}, want {expected:?}", mask(input)))
            .collect();
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn nothing_identifying_survives_in_a_long_comment() {
        let masked = mask(
            "Gọi tôi 0912 345 678 hoặc +84912345678, mail lan.nguyen@gmail.com, CCCD 001099012345",
        );
        assert_eq!(masked.matches(MASK).count(), 4, "{masked}");
        assert!(!masked.chars().any(|c| c.is_ascii_digit()), "{masked}");
    }
}
