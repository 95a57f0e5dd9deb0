//! The Zalo Official Account channel (Open API v3): citizens answer the survey in the OA's chat,
//! and are invited by template messages (by Zalo user id or by phone number).
//!
//! The protocol: settings ([`settings`]), the webhook's signature ([`signature`]) and events
//! ([`events`]), phone numbers ([`crate::core::phone`]), outbound messages built from [`crate::core::prompt`]
//! ([`messages`]), what an error code means for delivery ([`errors`]), the HTTP client ([`api`])
//! and the token's lifecycle ([`token`]). The wiring: the webhook inbox and its worker
//! ([`inbox`]), the conversation in the OA chat ([`conversation`]), ratings from the rating
//! template and their reconciliation ([`feedback`]), invitations ([`invitations`]), the
//! messaging window ([`window`]) and the delivery core's transport ([`transport`]). Nothing here
//! holds SQL or the engine's internals. Facts that public sources do not confirm (the
//! signature's terms, the buttons' JSON, `user_feedback`'s fields, the template-by-user-id body,
//! the template's parameters) are each kept in one function.

pub mod api;
pub mod check;
pub mod conversation;
pub mod errors;
pub mod events;
pub mod feedback;
pub mod inbox;
pub mod invitations;
pub mod messages;
pub mod pause;
/// Vietnamese mobile numbers (pure, in the core: intake reads them too).
pub use crate::core::phone;
pub mod runtime;
pub mod schedule;
pub mod seal;
pub mod settings;
pub mod signature;
pub mod template;
pub mod token;
pub mod transport;
pub mod window;

pub use api::{RatingQuery, Sent, TokenGrant, ZaloApi};
pub use conversation::{Zalo, ZaloHandleError};
pub use errors::{ErrorClass, Host, ZaloError};
pub use events::{EventError, Feedback, ZaloEvent};
pub use inbox::{AcceptError, ZaloInbox};
pub use messages::{
    MAX_BUTTONS, OutboundMessage, QueryButton, cs_body, from_prompt, parse_query_payload,
    query_payload,
};
pub use pause::PauseSwitch;
pub use phone::{PhoneError, PhoneNumber};
pub use settings::{TemplateMode, ZaloSettings};
pub use signature::{SIGNATURE_HEADER, SignatureError, expected_mac, signature_header, verify};
pub use token::TokenManager;
pub use transport::ZaloTransport;
pub use window::Window;

/// The channel's name in shared tables (inbound ids, sessions, outbox).
pub const CHANNEL: &str = "zalo";
