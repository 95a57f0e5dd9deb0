//! The Zalo Official Account channel (Open API v3): citizens answer the survey in the OA's chat,
//! and are invited by template messages (by Zalo user id or by phone number).
//!
//! This module holds the protocol and nothing of SQL or the engine's internals: settings
//! ([`settings`]), the webhook's signature ([`signature`]) and events ([`events`]), phone
//! numbers ([`phone`]), outbound messages built from [`crate::prompt`] ([`messages`]), what an
//! error code means for delivery ([`errors`]), the HTTP client ([`api`]) and the token's
//! lifecycle ([`token`]). Facts that public sources do not confirm (the signature's terms, the
//! buttons' JSON, `user_feedback`'s fields, the template-by-user-id body) are each kept in one
//! function.

pub mod api;
pub mod errors;
pub mod events;
pub mod messages;
pub mod phone;
pub mod settings;
pub mod signature;
pub mod token;

pub use api::{RatingQuery, Sent, TokenGrant, ZaloApi};
pub use errors::{ErrorClass, ZaloError};
pub use events::{EventError, Feedback, ZaloEvent};
pub use messages::{
    MAX_BUTTONS, OutboundMessage, QueryButton, cs_body, from_prompt, parse_query_payload,
    query_payload,
};
pub use phone::{PhoneError, PhoneNumber};
pub use settings::ZaloSettings;
pub use signature::{SIGNATURE_HEADER, SignatureError, expected_mac, signature_header, verify};
pub use token::TokenManager;

/// The channel's name in shared tables (inbound ids, sessions, outbox).
pub const CHANNEL: &str = "zalo";
