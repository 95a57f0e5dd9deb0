//! Who may post notices: the one `INTAKE_TOKEN` (every agency) and the named intake clients,
//! each with a token of its own and the agency subtree it may post for. Managed by
//! `sipas-bot intake-client add|list|revoke`; checked by the intake API on every request.
//!
//! A client's token is 32 bytes of OS randomness as 64 hex digits, shown once when the client is
//! added; only its SHA-256 is stored. Every request looks the token up in the database (no
//! cache), so a revocation stops the token at once on every instance.

use crate::services::admin::auth;
use crate::settings::config::Secret;
use crate::storage::{Db, StorageError};
use chrono::{DateTime, Utc};

/// The client name of `INTAKE_TOKEN`. Upper case, so no named client (lower case) can take it.
pub const SHARED_CLIENT: &str = "INTAKE_TOKEN";

/// The longest client name.
pub const MAX_NAME: usize = 64;

/// Whether `name` may name a client: `[a-z0-9][a-z0-9_.-]{0,63}`, like an id: it appears in
/// logs, the audit log and the rate limiter's keys, so it holds nothing that needs escaping.
pub fn name_is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= MAX_NAME
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

/// An authenticated intake client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `INTAKE_TOKEN` or the client's name: the rate limit is kept per name.
    pub name: String,
    /// The root of the subtree it may post for; `None`: every agency.
    pub scope: Option<String>,
}

/// Why a client could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("bad client name {0:?}")]
    BadName(String),
    #[error("client {0} exists")]
    Taken(String),
    #[error("unknown agency {0}")]
    UnknownAgency(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Adds a client for `agency`'s subtree (every agency without one) and returns its token, which
/// is stored nowhere: the caller shows it once.
pub async fn add(
    db: &Db,
    name: &str,
    agency: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Secret, AddError> {
    if !name_is_valid(name) {
        return Err(AddError::BadName(name.to_string()));
    }
    if let Some(code) = agency
        && db.agency(code).await?.is_none()
    {
        return Err(AddError::UnknownAgency(code.to_string()));
    }
    let token = auth::new_token();
    if !db
        .create_intake_client(name, &auth::token_hash(&token), agency, actor, now)
        .await?
    {
        return Err(AddError::Taken(name.to_string()));
    }
    Ok(Secret::new(token))
}

impl Client {
    /// The client of `INTAKE_TOKEN`, for every agency. The API compares that token itself, in
    /// constant time, before it asks [`named`].
    pub fn shared() -> Client {
        Client {
            name: SHARED_CLIENT.to_string(),
            scope: None,
        }
    }
}

/// The unrevoked named client whose token is `bearer`, if any.
pub async fn named(db: &Db, bearer: &str) -> Result<Option<Client>, StorageError> {
    if bearer.is_empty() {
        return Ok(None);
    }
    // Looked up by its SHA-256: the hash of a 256-bit random token reveals nothing through the
    // time an index takes to find it.
    Ok(db
        .intake_client_by_token(&auth::token_hash(bearer))
        .await?
        .map(|client| Client {
            name: client.name,
            scope: client.agency_code,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lower_case_ids() {
        for good in [
            "motcua-mocchau",
            "t14.h02",
            "9x",
            "a_b-c.d",
            &"a".repeat(64),
        ] {
            assert!(name_is_valid(good), "{good}");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "_x",
            "Motcua",
            "INTAKE_TOKEN",
            "một-cửa",
            "a b",
            "a/b",
            &"a".repeat(65),
        ] {
            assert!(!name_is_valid(bad), "{bad}");
        }
    }
}
