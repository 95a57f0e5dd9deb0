//! The messaging window of a Zalo user (2026 rules): consultation messages are free for 48 hours
//! after the citizen's last interaction, billed from 48 hours to 7 days, refused after 7 days
//! (-230). Pure: the caller passes the last interaction and the time.
//!
//! The survey is designed to finish inside the free window: every reply answers a message the
//! citizen just sent, so only reminders and invitations can fall outside it.

use chrono::{DateTime, Duration, Utc};

/// How long consultation messages stay free after an interaction.
pub const FREE_WINDOW: Duration = Duration::hours(48);
/// After this, consultation messages are refused.
pub const BILLED_WINDOW: Duration = Duration::days(7);

/// Where a user's window stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Within 48 hours of the last interaction.
    Free,
    /// From 48 hours to 7 days: a consultation message costs money.
    Billed,
    /// Past 7 days, or no interaction known: only a template message can reach the user.
    Closed,
}

impl Window {
    pub fn at(last_interaction: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Window {
        match last_interaction {
            None => Window::Closed,
            Some(at) if now - at < FREE_WINDOW => Window::Free,
            Some(at) if now - at < BILLED_WINDOW => Window::Billed,
            Some(_) => Window::Closed,
        }
    }

    /// Whether a consultation message may go now: always in the free window, in the billed one
    /// only when billed replies are allowed (`ZALO_BILLABLE_REPLIES`), and never a reminder
    /// there (a reminder is not worth paying for).
    pub fn allows(self, billable_replies: bool, reminder: bool) -> bool {
        match self {
            Window::Free => true,
            Window::Billed => billable_replies && !reminder,
            Window::Closed => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn free_then_billed_then_closed() {
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let at = |hours| Window::at(Some(start), start + Duration::hours(hours));
        assert_eq!(at(0), Window::Free);
        assert_eq!(at(47), Window::Free);
        assert_eq!(at(48), Window::Billed);
        assert_eq!(at(24 * 7 - 1), Window::Billed);
        assert_eq!(at(24 * 7), Window::Closed);
        assert_eq!(Window::at(None, start), Window::Closed);
        assert!(Window::Free.allows(false, true));
        assert!(!Window::Billed.allows(false, false));
        assert!(Window::Billed.allows(true, false));
        assert!(!Window::Billed.allows(true, true));
        assert!(!Window::Closed.allows(true, false));
    }
}
