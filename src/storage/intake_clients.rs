//! Named intake clients: the one-stop systems that post notices, each with a token of its own
//! and the agency subtree it may post for. Tokens arrive here already hashed (SHA-256, hex); the
//! token itself is never stored. Every request reads the table (no cache), so a revocation
//! holds at once on every instance.

use super::columns::{MaybeStamp, Stamp};
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

/// A client as the list shows it: never its token or the token's hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IntakeClient {
    pub name: String,
    /// The root of the subtree it may post for; `None`: every agency.
    pub agency_code: Option<String>,
    #[sqlx(try_from = "Stamp")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeStamp")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What `revoke_intake_client` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// Revoked before, at this time: nothing changed.
    AlreadyRevoked(DateTime<Utc>),
    /// No client has this name.
    Unknown,
}

const CLIENT_SELECT: &str = "SELECT name, agency_code, created_at, revoked_at FROM intake_clients";

impl Db {
    /// Stores a client with the hash of its token; `false` when the name is taken (revoked
    /// names included). The agency, when given, must exist.
    pub async fn create_intake_client(
        &self,
        name: &str,
        token_hash: &str,
        agency_code: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO intake_clients (name, token_hash, agency_code, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(token_hash)
        .bind(agency_code)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let after = agency_code.unwrap_or("*");
        super::audit::audit(
            &mut tx,
            actor,
            "intake_client.add",
            name,
            None,
            Some(after),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every client, revoked ones included, by name.
    pub async fn intake_clients(&self) -> Result<Vec<IntakeClient>, StorageError> {
        Ok(sqlx::query_as(&format!("{CLIENT_SELECT} ORDER BY name"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The unrevoked client whose token hashes to `token_hash`.
    pub async fn intake_client_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<IntakeClient>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{CLIENT_SELECT} WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Revokes a client: its token stops working with the next request, on every instance.
    pub async fn revoke_intake_client(
        &self,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Revocation, StorageError> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE intake_clients SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(timestamp(now))
        .bind(name)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if revoked == 0 {
            let client: Option<IntakeClient> =
                sqlx::query_as(&format!("{CLIENT_SELECT} WHERE name = $1"))
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Ok(match client.and_then(|c| c.revoked_at) {
                Some(at) => Revocation::AlreadyRevoked(at),
                None => Revocation::Unknown,
            });
        }
        super::audit::audit(
            &mut tx,
            actor,
            "intake_client.revoke",
            name,
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Revocation::Revoked)
    }
}
