//! The id rules of flows, questions and options: which characters and lengths are allowed. Ids
//! travel in Telegram's callback data (64 bytes at most) and in the console's pages and links, so
//! each rule keeps them short and free of anything that needs escaping. Validation applies them.

/// Whether `id` may name a question: `[a-z][a-z0-9_]{0,31}`. Question ids travel in Telegram's
/// callback data (64 bytes at most) and in the console's pages and links, so they hold nothing
/// that needs escaping and stay short.
pub fn question_id_is_valid(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `id` may name an option: `[a-z][a-z0-9_]{0,23}`, like a question id but shorter, so
/// that `a|<question>|o:<option>` always fits Telegram's 64 bytes of callback data.
pub fn option_id_is_valid(id: &str) -> bool {
    question_id_is_valid(id) && id.len() <= 24
}

/// Whether `id` may name a flow: `[a-z][a-z0-9_.-]{0,63}`. Wider than a question id because the
/// shipped flows are named with `-` (`sipas-full`) and a manager's fork is `<flow>-<agency>`,
/// whose agency code holds dots; still nothing that needs escaping in a page or a link.
pub fn flow_id_is_valid(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.len() <= 64
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_allowed_ids_pass() {
        assert!(question_id_is_valid(&format!("q{}", "_9".repeat(15) + "z")));
        assert!(question_id_is_valid("a"));
        assert!(!question_id_is_valid(""));
        // Shipped flow names and a manager's fork `<flow>-<agency>`.
        for id in ["sipas-full", "sipas_short", "sipas-short-t14.h02"] {
            assert!(flow_id_is_valid(id), "{id}");
        }
        assert!(flow_id_is_valid(&"f".repeat(64)));
    }
}
