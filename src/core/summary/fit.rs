//! Telegram's limits on what one message may carry, in one place, and the packing of a summary's
//! sections into messages that respect them. A send over the limit fails for good, so nothing
//! the summary renders may pass them: long sections are split at line boundaries and a single
//! over-long line is cut.
//!
//! Telegram counts UTF-16 code units (an emoji such as 📊 counts two), so lengths here do too.

/// The most text one message may carry.
pub const TEXT_LIMIT: usize = 4096;
/// The most text a photo's or document's caption may carry.
pub const CAPTION_LIMIT: usize = 1024;
/// Ranked units are listed in full up to this many.
pub const UNITS_IN_FULL: usize = 12;
/// Beyond [`UNITS_IN_FULL`], this many of the best and of the weakest are listed.
pub const UNITS_AT_EACH_END: usize = 5;
/// Units too small to rank: this many are named, the others counted.
pub const SMALL_UNITS_NAMED: usize = 10;
/// A unit's or procedure's name is cut to this many characters in a message.
pub const NAME_CHARS: usize = 80;

/// The length Telegram measures.
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to at most `limit` (as Telegram measures), ending with `…` when cut.
pub fn cut(text: &str, limit: usize) -> String {
    if length(text) <= limit {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 1; // the ellipsis
    for c in text.chars() {
        used += c.len_utf16();
        if used > limit {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A name cut to [`NAME_CHARS`] characters.
pub fn name(text: &str) -> String {
    if text.chars().count() <= NAME_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(NAME_CHARS - 1).collect();
    short.push('…');
    short
}

/// Packs sections (each a block of lines) into as few messages as fit `limit`, sections kept
/// whole where they fit and separated by a blank line, as a single message would show them.
pub fn pack(sections: &[String], limit: usize) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut push = |piece: &str, separator: &str, current: &mut String| {
        if current.is_empty() {
            current.push_str(piece);
        } else if length(current) + length(separator) + length(piece) <= limit {
            current.push_str(separator);
            current.push_str(piece);
        } else {
            messages.push(std::mem::take(current));
            current.push_str(piece);
        }
    };
    for section in sections.iter().filter(|s| !s.is_empty()) {
        if length(section) <= limit {
            push(section, "\n\n", &mut current);
            continue;
        }
        // Too long for any message: its lines go one by one, the first after a blank line.
        for (index, line) in section.lines().enumerate() {
            let line = cut(line, limit);
            push(&line, if index == 0 { "\n\n" } else { "\n" }, &mut current);
        }
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sections_share_one_message_as_before() {
        let sections = ["a\nb".to_string(), "c".to_string()];
        assert_eq!(pack(&sections, TEXT_LIMIT), ["a\nb\n\nc"]);
    }

    #[test]
    fn sections_move_whole_to_the_next_message() {
        let sections = ["a".repeat(6), "b".repeat(6), "c".repeat(3)];
        assert_eq!(
            pack(&sections, 10),
            ["a".repeat(6), "b".repeat(6), "c".repeat(3)]
        );
        let sections = ["a".repeat(3), "b".repeat(3), "c".repeat(3)];
        assert_eq!(pack(&sections, 10), ["aaa\n\nbbb", "ccc"]);
    }

    #[test]
    fn an_over_long_section_splits_at_lines_and_an_over_long_line_is_cut() {
        let section = format!("{}\n{}\n{}", "x".repeat(8), "y".repeat(8), "z".repeat(30));
        let messages = pack(&[section], 10);
        assert_eq!(
            messages,
            ["x".repeat(8), "y".repeat(8), format!("{}…", "z".repeat(9))]
        );
        assert!(messages.iter().all(|m| length(m) <= 10));
    }

    #[test]
    fn lengths_count_utf16_as_telegram_does() {
        assert_eq!(length("📊 Tỉnh"), 7);
        let cut_text = cut(&"📊".repeat(10), 5);
        assert!(length(&cut_text) <= 5, "{cut_text}");
        assert_eq!(name(&"đ".repeat(200)).chars().count(), NAME_CHARS);
    }
}
