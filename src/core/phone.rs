//! Vietnamese mobile numbers in the form Zalo's template-by-phone API wants: international,
//! without `+` (`84912345678`). Parse, don't validate: a [`PhoneNumber`] is always well formed.
//! Its `Debug` hides the digits, so a number never reaches a log by accident.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error(
        "the phone number has characters other than digits, spaces, dots, dashes, brackets and a leading +"
    )]
    BadCharacter,
    #[error("the phone number is not a Vietnamese mobile number (0 or 84 followed by 9 digits)")]
    NotVietnameseMobile,
}

impl PhoneError {
    /// The locale message that explains the problem to whoever sent the number.
    pub fn message_id(&self) -> &'static str {
        "zalo-phone-invalid"
    }
}

/// The first digit of a Vietnamese mobile number after the country code (03x, 05x, 07x, 08x,
/// 09x since the 2018 renumbering).
const MOBILE_FIRST_DIGITS: &[char] = &['3', '5', '7', '8', '9'];

impl PhoneNumber {
    /// Accepts `0912345678`, `+84 912 345 678`, `84912345678`, `0084 912 345 678`, with spaces,
    /// dots, dashes or brackets between digits.
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Separators go first, so "(+84) 912-345-678" reads like "+84912345678".
        let compact: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest.to_string()),
            None => (false, compact.clone()),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError::BadCharacter);
        }
        let national = if plus {
            digits.strip_prefix("84")
        } else if let Some(national) = digits.strip_prefix("0084") {
            Some(national)
        } else if digits.len() == 11 {
            digits.strip_prefix("84")
        } else if digits.len() == 10 {
            digits.strip_prefix('0')
        } else {
            None
        }
        .ok_or(PhoneError::NotVietnameseMobile)?;
        let mobile = national.len() == 9 && national.starts_with(MOBILE_FIRST_DIGITS);
        if !mobile {
            return Err(PhoneError::NotVietnameseMobile);
        }
        Ok(PhoneNumber(format!("84{national}")))
    }

    /// The number as Zalo wants it: `84912345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The last three digits are enough to tell numbers apart in a test failure.
        write!(f, "PhoneNumber(84…{})", &self.0[self.0.len() - 3..])
    }
}
