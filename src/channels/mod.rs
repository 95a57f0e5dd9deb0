//! Channels: where citizens talk to the bot. Each turns its own messages into engine inputs and
//! goes through [`crate::services::conversation`]; none of them touches SQL or the engine's internals.

pub mod console;
pub mod telegram;
pub mod zalo;
