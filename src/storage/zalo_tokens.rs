//! The OA's token pair, and who may refresh it.
//!
//! The refresh token is single-use and rotates, so only one refresh may run at a time across
//! instances. No lock is held across the OAuth call: [`Db::claim_zalo_refresh`] marks the row as
//! claimed (by an owner, until a time) in one statement; the caller then calls OAuth outside any
//! transaction and [`Db::store_zalo_refresh`] writes the new pair and clears the claim in one
//! short statement, before the new access token is used. A claim left by a dead instance runs
//! out by itself. Token values are stored as the caller gives them (sealed by the channel).

use super::{Db, StorageError, parse_timestamp, timestamp};
use crate::settings::config::Secret;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The stored token pair of an OA.
#[derive(Debug, Clone, PartialEq)]
pub struct ZaloTokenRow {
    pub access_token: Option<Secret>,
    pub access_expires_at: Option<DateTime<Utc>>,
    pub refresh_token: Secret,
    /// When the current refresh token was issued (it lasts 3 months).
    pub refresh_issued_at: DateTime<Utc>,
    /// How many refreshes this row has seen: 0 for the seeded token.
    pub generation: i64,
}

/// What a claim attempt found.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshClaim {
    /// The row is ours to refresh until the claim's end.
    Claimed(ZaloTokenRow),
    /// Another owner refreshes now: the row as it stands.
    Busy(ZaloTokenRow),
}

const TOKEN_COLUMNS: &str =
    "access_token, access_expires_at, refresh_token, refresh_issued_at, generation";

impl Db {
    /// The token pair of `oa_id`, read without a lock (to use the access token).
    pub async fn zalo_token(&self, oa_id: &str) -> Result<Option<ZaloTokenRow>, StorageError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM zalo_tokens WHERE oa_id = $1"
        ))
        .bind(oa_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| token_row(&row)).transpose()
    }

    /// Claims the refresh of `oa_id` for `owner` until `until`, creating the row from
    /// `seed_refresh_token` (the first token, from the settings) when the OA has none yet. A
    /// claim whose time has passed is taken over. Each statement commits by itself: nothing is
    /// held while the caller talks to OAuth.
    pub async fn claim_zalo_refresh(
        &self,
        oa_id: &str,
        seed_refresh_token: &Secret,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<RefreshClaim, StorageError> {
        sqlx::query(
            "INSERT INTO zalo_tokens (oa_id, refresh_token, refresh_issued_at, generation, updated_at)
             VALUES ($1, $2, $3, 0, $3) ON CONFLICT (oa_id) DO NOTHING",
        )
        .bind(oa_id)
        .bind(seed_refresh_token.expose())
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        let claimed = sqlx::query(
            "UPDATE zalo_tokens SET claimed_by = $2, claimed_until = $3
             WHERE oa_id = $1
               AND (claimed_until IS NULL OR claimed_until < $4 OR claimed_by = $2)",
        )
        .bind(oa_id)
        .bind(owner)
        .bind(timestamp(until))
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let row = self
            .zalo_token(oa_id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("the Zalo token row vanished".into()))?;
        Ok(if claimed {
            RefreshClaim::Claimed(row)
        } else {
            RefreshClaim::Busy(row)
        })
    }

    /// Stores the pair a refresh of generation `generation` gave and clears `owner`'s claim, in
    /// one statement. Only after this returns may the new access token be used: the new refresh
    /// token is then durable.
    #[allow(clippy::too_many_arguments)]
    pub async fn store_zalo_refresh(
        &self,
        oa_id: &str,
        owner: &str,
        access_token: &Secret,
        access_expires_at: DateTime<Utc>,
        refresh_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<ZaloTokenRow, StorageError> {
        sqlx::query(
            "UPDATE zalo_tokens SET access_token = $2, access_expires_at = $3, refresh_token = $4,
             refresh_issued_at = $5, generation = generation + 1, updated_at = $5,
             claimed_by = CASE WHEN claimed_by = $6 THEN NULL ELSE claimed_by END,
             claimed_until = CASE WHEN claimed_by = $6 THEN NULL ELSE claimed_until END
             WHERE oa_id = $1",
        )
        .bind(oa_id)
        .bind(access_token.expose())
        .bind(timestamp(access_expires_at))
        .bind(refresh_token.expose())
        .bind(timestamp(now))
        .bind(owner)
        .execute(&self.pool)
        .await?;
        self.zalo_token(oa_id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("the Zalo token row vanished".into()))
    }

    /// Replaces the stored chain with a new first refresh token (after the OA was authorized
    /// again): the old access token is dropped, and any claim with it.
    pub async fn reseed_zalo_token(
        &self,
        oa_id: &str,
        refresh_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO zalo_tokens (oa_id, refresh_token, refresh_issued_at, generation, updated_at)
             VALUES ($1, $2, $3, 0, $3)
             ON CONFLICT (oa_id) DO UPDATE SET refresh_token = $2, refresh_issued_at = $3,
               access_token = NULL, access_expires_at = NULL, claimed_by = NULL,
               claimed_until = NULL, updated_at = $3",
        )
        .bind(oa_id)
        .bind(refresh_token.expose())
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives up `owner`'s claim without a change (the refresh failed, or was not needed).
    pub async fn release_zalo_claim(&self, oa_id: &str, owner: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE zalo_tokens SET claimed_by = NULL, claimed_until = NULL
             WHERE oa_id = $1 AND claimed_by = $2",
        )
        .bind(oa_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn token_row(row: &AnyRow) -> Result<ZaloTokenRow, StorageError> {
    let access_token: Option<String> = row.try_get("access_token")?;
    let access_expires_at: Option<String> = row.try_get("access_expires_at")?;
    let refresh_token: String = row.try_get("refresh_token")?;
    let refresh_issued_at: String = row.try_get("refresh_issued_at")?;
    Ok(ZaloTokenRow {
        access_token: access_token.map(Secret::new),
        access_expires_at: access_expires_at
            .as_deref()
            .map(parse_timestamp)
            .transpose()?,
        refresh_token: Secret::new(refresh_token),
        refresh_issued_at: parse_timestamp(&refresh_issued_at)?,
        generation: row.try_get("generation")?,
    })
}
