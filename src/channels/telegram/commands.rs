//! The bot's commands, parsed by teloxide's [`BotCommands`] with the bot's own username, so that
//! `/help@another_bot` in a group is left to that bot and `/help@our_bot` is ours.
//!
//! Which chat may use which command is decided by the handlers: citizens use `/start`,
//! `/cancel`, `/xoa` and `/help` in private chats; officials use `/subscribe`, `/unsubscribe`, `/report`
//! and `/help` in groups, channels or private chats. The variants carry no doc comments on
//! purpose: the derive would turn them into help text, and every sentence a user reads lives in
//! the locale files.

use teloxide::utils::command::{BotCommands, ParseError};

#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    // `/start <token>`: the deep link of an invitation; `/start` alone greets.
    Start(String),
    Cancel,
    Help,
    // `/subscribe <code>`: the code an admin issued for the chat.
    Subscribe(String),
    Unsubscribe,
    Report,
    // `/xoa`: a citizen withdraws their answers (after a confirmation).
    Xoa,
}

/// What a message's text is, for this bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not a command: an answer typed by a citizen, or chatter in a group.
    Text,
    /// One of our commands (arguments trimmed).
    Command(Command),
    /// A command we do not have, addressed to us or to nobody in particular.
    Unknown,
    /// A command addressed to another bot (`/help@other_bot`): not ours to answer.
    OtherBot,
}

/// Reads `text` as a command for the bot named `bot_username`.
pub fn parse(text: &str, bot_username: &str) -> Parsed {
    let text = text.trim();
    if !text.starts_with('/') {
        return Parsed::Text;
    }
    // BotCommands splits the command from its argument at the first space; people also type a
    // line break or several spaces there, and the argument's own edges are not part of it.
    let normalized = match text.split_once(char::is_whitespace) {
        Some((word, rest)) => format!("{word} {}", rest.trim()),
        None => text.to_string(),
    };
    match Command::parse(&normalized, bot_username) {
        Ok(command) => Parsed::Command(command),
        Err(ParseError::WrongBotName(_)) => Parsed::OtherBot,
        Err(_) => Parsed::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_or_without_the_bot_name() {
        let bot = "sipas_bot";
        assert_eq!(
            parse("/start abc123", bot),
            Parsed::Command(Command::Start("abc123".into()))
        );
        assert_eq!(
            parse("/help@sipas_bot", bot),
            Parsed::Command(Command::Help)
        );
        assert_eq!(parse("  /cancel  ", bot), Parsed::Command(Command::Cancel));
        assert_eq!(parse("hài lòng", bot), Parsed::Text);
    }

    #[test]
    fn a_command_for_another_bot_is_not_ours() {
        let bot = "sipas_bot";
        assert_eq!(parse("/help@other_bot", bot), Parsed::OtherBot);
        assert_eq!(
            parse("/help@SIPAS_Bot", bot),
            Parsed::Command(Command::Help)
        );
        assert_eq!(parse("/report@other_bot now", bot), Parsed::OtherBot);
    }

    #[test]
    fn arguments_are_trimmed_and_extra_words_ignored() {
        let bot = "sipas_bot";
        assert_eq!(
            parse("/subscribe\n  abcd efgh jkmn ", bot),
            Parsed::Command(Command::Subscribe("abcd efgh jkmn".into()))
        );
        assert_eq!(
            parse("/start", bot),
            Parsed::Command(Command::Start(String::new()))
        );
        assert_eq!(parse("/report now", bot), Parsed::Command(Command::Report));
        assert_eq!(parse("/hello", bot), Parsed::Unknown);
        assert_eq!(parse("/", bot), Parsed::Unknown);
    }
}
